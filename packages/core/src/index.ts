import './register_all_gradients';

export {BlockLayout, BlockLayoutJSON, BlockTable, isBlockLayout} from './layout/block_layout';
export {bandedLayout, barabasiAlbertLayout, blockNorms, LayoutSpec, magnitudeLayout, randomLayout, smallWorldLayout, SmallWorldSpec} from './layout/generators';
export {layoutTable, releaseLayoutTables, TableBackend, TableKind} from './layout/backend_tables';
export {densify, sparsify} from './layout/packing';
export {seededRandom, shuffleInPlace} from './layout/seeded_random';
export * from './kernel_names';
export {blockSparseMatMul, blockSparseMatMulGradW, BlockSparseMatMulOptions} from './ops/block_sparse_mat_mul';
export {blockSparseConv2d, conv2DInfo} from './ops/block_sparse_conv2d';
export {convTaps} from './ops/conv_taps';
export {FusedEpilogueOptions} from './ops/fused_activation';
export {BlockSparseMatMulOp} from './block_sparse_mat_mul_op';
export {checkTfjsVersion, TESTED_TFJS_VERSION} from './tfjs_version';
