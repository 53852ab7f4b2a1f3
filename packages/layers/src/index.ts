import {version_layers} from '@tensorflow/tfjs-layers';
import {backend_util} from '@tfjs-blocksparse/core';

export {BlockSparseDense, BlockSparseDenseArgs, blockSparseDense} from './block_sparse_dense';
export {KernelDtype, KernelDtypeArgs} from './block_sparse_kernel_layer';
export {BlockSparseLayoutArgs, LayoutKind} from './layer_layout';
export {BlockSparseConv2D, BlockSparseConv2DArgs, blockSparseConv2D} from './block_sparse_conv2d';
export {FusedDepthwiseConv2D} from './fused_depthwise_conv2d';
export {BlockSparseLSTMCell, BlockSparseLSTMCellArgs, blockSparseLSTMCell} from './block_sparse_lstm_cell';

backend_util.checkTfjsVersion('@tfjs-blocksparse/layers', '@tensorflow/tfjs-layers', version_layers);
