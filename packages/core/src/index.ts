import './register_all_gradients';

export {BlockLayout, BlockLayoutJSON, BlockTable, isBlockLayout} from './layout/block_layout';
export {bandedLayout, barabasiAlbertLayout, blockNorms, LayoutSpec, magnitudeLayout, randomLayout, smallWorldLayout, SmallWorldSpec} from './layout/generators';
export {releaseLayoutTables} from './layout/backend_tables';
export {densify, sparsify} from './layout/packing';
export {fromFloat16Blocks, toFloat16Blocks} from './layout/float16';
export {dequantizeBlocks, Int8Blocks, quantizeBlocks} from './layout/quantize';
export {seededRandom, shuffleInPlace} from './layout/seeded_random';
export {BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropFilterInputs, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DBackpropInputInputs, BlockSparseConv2DGeometry, BlockSparseConv2DInputs, BlockSparseConv2DInt8, BlockSparseConv2DInt8Inputs, BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulGradWInputs, BlockSparseMatMulInputs, BlockSparseMatMulInt8, BlockSparseMatMulInt8Inputs, Conv2DPad, FUSED_ACTIVATIONS, FusedActivation, FusedActivationAttrs, LSTMGates, LSTMGatesAttrs, LSTMGatesInputs, NO_EPILOGUE, ProductEpilogue, RECURRENT_ACTIVATIONS, RecurrentActivation} from './kernel_names';
export {blockSparseMatMul, blockSparseMatMulGradW, BlockSparseMatMulOptions} from './ops/block_sparse_mat_mul';
export {blockSparseConv2d, BlockSparseConv2dEpilogue} from './ops/block_sparse_conv2d';
export {FusedEpilogueOptions, fusablePreluSlopes} from './ops/fused_activation';
export {lstmGates} from './ops/lstm_gates';
export {BlockSparseMatMulOp} from './block_sparse_mat_mul_op';
export * as backend_util from './backend_util';
