import * as tf from '@tensorflow/tfjs-core';
import {registerOp} from '@tensorflow/tfjs-converter';
import {backend_util, BlockLayout, blockSparseConv2d, blockSparseMatMul, FUSED_ACTIVATIONS, FusedActivation, FusedEpilogueOptions, fusablePreluSlopes} from '@tfjs-blocksparse/core';

/**
 * Graph-model ops for block-sparse MatMul and Conv2D nodes, registered with
 * tfjs-converter on import, so a graph model that the converter made
 * block-sparse loads with plain tf.loadGraphModel.
 *
 * Both take [x, packed weight, kept blocks (int32 [nnz, 2]: row, column),
 * (int8 blocks: their scales,) ...fused args] and the attributes of the node they replace (fused_ops,
 * leakyrelu_alpha, transpose_a; strides, padding, explicit_paddings,
 * dilations), plus block_size, input_size and output_size.
 */
export const GRAPH_MATMUL_OP = 'BlockSparseMatMul';
export const GRAPH_CONV2D_OP = 'BlockSparseConv2D';

/** Activations tfjs fuses into MatMul/Conv2D nodes (lower case, as tfjs-converter reads them). */
export const GRAPH_ACTIVATIONS = ['relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid', 'tanh'];

type Attrs = Record<string, unknown>;

// The blocks input is a constant of the loaded model: read once, its layout reused by every call.
const layouts = new WeakMap<tf.Tensor, BlockLayout>();

function layoutOf(blocks: tf.Tensor, attrs: Attrs, op: string): BlockLayout {
  let layout = layouts.get(blocks);
  if (layout == null) {
    layout = graphNodeLayout(blocks, attrs.block_size as number, attrs.input_size as number, attrs.output_size as number, op);
    layouts.set(blocks, layout);
  }
  return layout;
}

/** The layout of a block-sparse graph node: its kept blocks (int32 [nnz, 2]) on a grid of its sizes. */
export function graphNodeLayout(blocks: tf.Tensor, blockSize: number, inputSize: number, outputSize: number, op: string): BlockLayout {
  if (blocks.dtype !== 'int32' || blocks.rank !== 2 || blocks.shape[1] !== 2) {
    throw new Error(`${op}: kept blocks must be int32 [nnz, 2], got ${blocks.dtype} [${blocks.shape}]`);
  }
  if (!(blockSize > 0) || inputSize % blockSize !== 0 || outputSize % blockSize !== 0) {
    throw new Error(`${op}: block_size ${blockSize} must divide input_size ${inputSize} and output_size ${outputSize}`);
  }
  const flat = blocks.dataSync();
  const pairs = Array.from({length: blocks.shape[0]}, (_, i) => [flat[2 * i], flat[2 * i + 1]] as const);
  return new BlockLayout(blockSize, inputSize / blockSize, outputSize / blockSize, pairs);
}

/** The fused bias and activation of a node, as tfjs-converter's _FusedMatMul executor reads them. */
function fusedOf(attrs: Attrs, args: tf.Tensor[], op: string) {
  const [extra, activation] = (attrs.fused_ops as string[] | undefined) ?? [];
  if (extra != null && extra !== 'biasadd') {
    throw new Error(`${op}: fused op '${extra}' is not supported (only BiasAdd)`);
  }
  if (activation != null && !GRAPH_ACTIVATIONS.includes(activation)) {
    throw new Error(`${op}: fused activation '${activation}' is not supported`);
  }
  return {bias: extra == null ? undefined : args[0], activation, alpha: activation === 'prelu' ? args[1] : undefined};
}

/**
 * The node's bias and activation as the kernels fuse them, and the
 * activation they do not (tanh, leakyrelu with a negative slope, prelu
 * with slopes that vary along more than the channels), applied as an op of
 * its own after the fused product.
 */
function epilogueOf(
    attrs: Attrs, args: tf.Tensor[], outSize: number, op: string): {fused: FusedEpilogueOptions, after: (y: tf.Tensor) => tf.Tensor} {
  const {bias, activation, alpha} = fusedOf(attrs, args, op);
  const leakyreluAlpha = (attrs.leakyrelu_alpha as number | undefined) ?? 0.2;
  const fusable = activation != null && FUSED_ACTIVATIONS.includes(activation as FusedActivation) &&
      !(activation === 'leakyrelu' && leakyreluAlpha < 0) &&
      (activation !== 'prelu' || (alpha != null && fusablePreluSlopes(alpha, outSize)));
  const after = (y: tf.Tensor): tf.Tensor => {
    switch (fusable ? undefined : activation) {
      case 'leakyrelu':
        return tf.leakyRelu(y, leakyreluAlpha);
      case 'prelu':
        return tf.prelu(y, alpha!);
      case 'tanh':
        return tf.tanh(y);
      default:
        return y;
    }
  };
  const fused = fusable ?
      {activation: activation as FusedActivation, leakyreluAlpha, ...(activation === 'prelu' && {preluActivationWeights: alpha})} :
      {};
  return {fused: {bias, ...fused}, after};
}

/** Swaps the last two axes (MatMul's transpose_a / BatchMatMul's adj_x). */
function transposeLast(x: tf.Tensor): tf.Tensor {
  const axes = x.shape.map((_, i) => i);
  [axes[x.rank - 2], axes[x.rank - 1]] = [axes[x.rank - 1], axes[x.rank - 2]];
  return tf.transpose(x, axes);
}

/**
 * A node's inputs: x, the packed weight, the kept blocks, for int8 blocks
 * (an int32 packed weight [..., bs / 2, bs / 2]) their scales, then the
 * fused args. Float16 blocks (int32 [..., bs, bs / 2]) have no scales.
 */
function nodeInputs(inputs: tf.Tensor[], blockSize: number) {
  const [x, packed, blocks, ...rest] = inputs;
  const int8 = backend_util.blockFormatOf(packed, blockSize) === 'int8';
  return {x, packed, blocks, scales: int8 ? rest[0] : undefined, args: int8 ? rest.slice(1) : rest};
}

registerOp(GRAPH_MATMUL_OP, node => tf.tidy(() => {
  const {x, packed, blocks, scales, args} = nodeInputs(node.inputs, node.attrs.block_size as number);
  const layout = layoutOf(blocks, node.attrs, GRAPH_MATMUL_OP);
  const {fused, after} = epilogueOf(node.attrs, args, layout.outputSize, GRAPH_MATMUL_OP);
  const input = node.attrs.transpose_a === true ? transposeLast(x) : x;
  return after(blockSparseMatMul(input, packed, layout, {...fused, scales}));
}));

registerOp(GRAPH_CONV2D_OP, node => tf.tidy(() => {
  const {x, packed, blocks, scales, args} = nodeInputs(node.inputs, node.attrs.block_size as number);
  const attrs = node.attrs;
  const layout = layoutOf(blocks, attrs, GRAPH_CONV2D_OP);
  const {fused, after} = epilogueOf(attrs, args, layout.outputSize, GRAPH_CONV2D_OP);
  const [, sh, sw] = attrs.strides as number[];
  const [, dh, dw] = (attrs.dilations as number[] | undefined) ?? [1, 1, 1, 1];
  // EXPLICIT padding is converted only when the same on every side ([0, 0, p, p, p, p, 0, 0]).
  const pad = attrs.padding === 'explicit' ? (attrs.explicit_paddings as number[])[2] : attrs.padding as 'same' | 'valid';
  return after(blockSparseConv2d(x as tf.Tensor4D, packed, layout, [sh, sw], pad, [dh, dw], {...fused, scales}));
}));
