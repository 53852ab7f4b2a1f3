export {BlockSparseDense, BlockSparseDenseArgs, blockSparseDense} from './block_sparse_dense';
export {BlockSparseLayoutArgs, LayoutKind} from './layer_layout';
