// What the backend packages and layers share with core and a model's user
// does not need, exported as the namespace `backend_util` (as tfjs-core keeps
// its own plumbing in `backend_util`): the layouts' tables on a backend, the
// conv geometry the kernels agree on, and the tfjs version check.
export {layoutTable, TableBackend, TableKind} from './layout/backend_tables';
export {conv2DInfo} from './ops/block_sparse_conv2d';
export {int8Offset} from './layout/quantize';
export {BlockFormat, blockFormatOf, float16Values, holdsFloat16Blocks} from './layout/float16';
export {convTaps} from './ops/conv_taps';
export {checkTfjsVersion, TESTED_TFJS_VERSION} from './tfjs_version';
