export {accuracy} from './accuracy';
export {main} from './cli';
export {GradualBlockPruning, GradualPruningArgs, scheduledDensity} from './gradual_pruning';
export {loadFrom, saveTo} from './node_io';
export {maskToPng} from './png';
export {formatReport} from './report';
export {LayerReport, sparsifyModel, SparsifyOptions, SparsifyReport} from './sparsify_model';
