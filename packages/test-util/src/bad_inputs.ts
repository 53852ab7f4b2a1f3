import * as tf from '@tensorflow/tfjs-core';
import {BlockLayout, blockSparseConv2d, blockSparseMatMul, blockSparseMatMulGradW, FusedActivation, lstmGates, quantizeBlocks, randomLayout, RecurrentActivation} from '@tfjs-blocksparse/core';

export interface BadInputCase {
  name: string;
  /** Makes the inputs and returns the call that must throw. */
  prepare: () => () => unknown;
  /** What the error must say. */
  message: RegExp;
}

/**
 * Calls that must throw a clear error before any kernel runs. Inputs are
 * made before the call, so a test can count the tensors the call leaves.
 */
/** Makes the arguments first, so that only the call itself is counted for leaks. */
function withInputs<A extends unknown[]>(op: (...args: A) => unknown, args: () => [...A]) {
  return () => {
    const made = args();
    return () => op(...made);
  };
}

export function badInputCases(): BadInputCase[] {
  const layout = () => randomLayout({inputSize: 32, outputSize: 16, blockSize: 8, density: 0.5});
  const w = (l: BlockLayout) => tf.zeros([l.nnz, 8, 8]);
  const wc = (l: BlockLayout) => tf.zeros([l.nnz, 3, 3, 8, 8]);
  return [
    {
      name: 'scalar x',
      prepare: withInputs(blockSparseMatMul, () => [tf.scalar(1), w(layout()), layout()]),
      message: /x must be \[\.\.\., 32\]/
    },
    {
      name: 'x width not matching the layout',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 24]), w(layout()), layout()]),
      message: /x must be \[\.\.\., 32\].*got \[4,24\]/
    },
    {
      name: 'transposed product with x of the input width',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), w(layout()), layout(), {transposeW: true}]),
      message: /x must be \[\.\.\., 16\]/
    },
    {
      name: 'bias of the input width',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), w(layout()), layout(), {bias: tf.zeros([32])}]),
      message: /bias must be \[16\] \(one value per output column\), got \[32\]/
    },
    {
      name: 'an activation the kernels do not fuse',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), w(layout()), layout(), {activation: 'tanh' as FusedActivation}]),
      message: /activation must be one of linear, relu, relu6, elu, leakyrelu, sigmoid, prelu, got tanh/
    },
    {
      name: 'prelu without its slopes',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), w(layout()), layout(), {activation: 'prelu' as FusedActivation}]),
      message: /preluActivationWeights go with activation 'prelu' and only with it, got activation prelu without them/
    },
    {
      name: 'prelu slopes with another activation',
      prepare: withInputs(
          blockSparseMatMul, () => [tf.zeros([4, 32]), w(layout()), layout(), {activation: 'relu' as FusedActivation, preluActivationWeights: tf.zeros([16])}]),
      message: /preluActivationWeights go with activation 'prelu' and only with it, got activation relu with them/
    },
    {
      name: 'prelu slopes of the input width',
      prepare: withInputs(
          blockSparseConv2d,
          () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, wc(layout()), layout(), 1, 'same' as const, 1,
                 {activation: 'prelu' as FusedActivation, preluActivationWeights: tf.zeros([1, 1, 32])}]),
      message: /blockSparseConv2d: preluActivationWeights must hold one slope per output column \(\[16\], or \[1, \.\.\., 16\]\) or one for all, got \[1,1,32\]/
    },
    {
      name: 'int32 prelu slopes',
      prepare: withInputs(
          blockSparseMatMul,
          () => [tf.zeros([4, 32]), w(layout()), layout(), {activation: 'prelu' as FusedActivation, preluActivationWeights: tf.zeros([16], 'int32')}]),
      message: /blockSparseMatMul: preluActivationWeights must be float32, got int32/
    },
    {
      name: 'a negative leakyrelu slope',
      prepare: withInputs(
          blockSparseMatMul,
          () => [tf.zeros([4, 32]), w(layout()), layout(), {activation: 'leakyrelu' as FusedActivation, leakyreluAlpha: -0.5}]),
      message: /leakyreluAlpha must be a finite number >= 0, got -0.5/
    },
    {
      name: 'conv bias of the input channels',
      prepare: withInputs(
          blockSparseConv2d,
          () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, wc(layout()), layout(), 1, 'same' as const, 1, {bias: tf.zeros([32])}]),
      message: /blockSparseConv2d: bias must be \[16\] \(one value per output column\), got \[32\]/
    },
    {
      name: 'packed weight with a block too many',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([layout().nnz + 1, 8, 8]), layout()]),
      message: /packed weight w must be \[nnz=4, 8, 8\]/
    },
    {
      name: 'packed weight with another block size',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([4, 4, 4]), layout()]),
      message: /packed weight w must be/
    },
    {
      name: 'int32 x',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32], 'int32'), w(layout()), layout()]),
      message: /x must be float32, got int32/
    },
    {
      name: 'bool w',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([4, 8, 8], 'bool'), layout()]),
      message: /w must be float32, got bool/
    },
    {
      name: 'layout that is not a BlockLayout',
      prepare: withInputs(
          blockSparseMatMul,
          () => [tf.zeros([4, 32]), tf.zeros([4, 8, 8]), {blockSize: 8, rowBlocks: 4, colBlocks: 2} as unknown as BlockLayout]),
      message: /layout must be a BlockLayout, got Object/
    },
    {
      name: 'block size not dividing the weight',
      prepare: () => () => randomLayout({inputSize: 30, outputSize: 16, blockSize: 8, density: 0.5}),
      message: /block size 8 must divide both dimensions of the dense weight \[30, 16\]/
    },
    {
      name: 'density above 1',
      prepare: () => () => randomLayout({inputSize: 32, outputSize: 16, blockSize: 8, density: 1.5}),
      message: /density must be a number in \[0, 1\], got 1.5/
    },
    {
      name: 'block outside the grid',
      prepare: () => () => new BlockLayout(8, 2, 2, [[0, 0], [2, 1]]),
      message: /block 1 at \(2, 1\) is outside the 2x2 block grid/
    },
    {
      name: 'duplicate block',
      prepare: () => () => new BlockLayout(8, 2, 2, [[1, 1], [0, 1], [1, 1]] as Array<[number, number]>),
      message: /block \(1, 1\) is listed twice/
    },
    {name: 'zero block size', prepare: () => () => new BlockLayout(0, 2, 2, []), message: /blockSize must be a positive integer, got 0/},
    {
      name: 'layout JSON without blocks',
      prepare: () => () => BlockLayout.fromJSON({blockSize: 8, rowBlocks: 2, colBlocks: 2} as never),
      message: /fromJSON: expected/
    },
    {
      name: 'weight gradient with mismatched rows',
      prepare: withInputs(blockSparseMatMulGradW, () => [tf.zeros([4, 32]), tf.zeros([5, 16]), layout()]),
      message: /same leading dims, got x \[4,32\] and dy \[5,16\]/
    },
    {
      name: 'conv with a rank-2 input',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([5, 32]) as unknown as tf.Tensor3D, wc(layout()), layout()]),
      message: /x must be \[batch, h, w, Cin\]/
    },
    {
      name: 'conv with the wrong input channels',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 5, 5, 16]) as tf.Tensor4D, wc(layout()), layout()]),
      message: /x has 16 input channels; the layout needs Cin = 32/
    },
    {
      name: 'conv with a matmul-shaped weight',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, w(layout()), layout()]),
      message: /packed weight w must be \[nnz=4, kh, kw, 8, 8\]/
    },
    {
      name: 'conv with stride 0',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, wc(layout()), layout(), 0]),
      message: /strides must be a positive integer/
    },
    {
      name: 'conv with strides and dilations both above 1',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, wc(layout()), layout(), 2, 'same' as const, 2]),
      message: /strides and dilations cannot both be > 1/
    },
    {
      name: 'conv with an unknown padding',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, wc(layout()), layout(), 1, 'full' as 'same']),
      message: /pad must be 'same', 'valid' or a non-negative integer, got "full"/
    },
    {
      name: 'conv filter larger than the input',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 2, 2, 32]) as tf.Tensor4D, wc(layout()), layout(), 1, 'valid' as const]),
      message: /does not fit the input/
    },
    {
      name: 'int8 blocks without their scales',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([layout().nnz, 4, 4], 'int32'), layout()]),
      message: /int8 blocks need their scales, float32 \[16\] \(one per output column/
    },
    {
      name: 'scales with float32 blocks',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), w(layout()), layout(), {scales: tf.ones([16])}]),
      message: /scales are for int8 blocks \(w int32, from quantizeBlocks\); this w holds float32 blocks/
    },
    {
      name: 'int8 blocks in the float32 shape',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([layout().nnz, 8, 8], 'int32'), layout(), {scales: tf.ones([16])}]),
      message: /int8 blocks w must be int32 \[nnz=\d+, 4, 4\] for this layout/
    },
    {
      name: 'int8 conv blocks without the filter taps',
      prepare: withInputs(
          blockSparseConv2d,
          () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, tf.zeros([layout().nnz, 4, 4], 'int32'), layout(), 1, 'same' as const, 1, {scales: tf.ones([16])}]),
      message: /int8 blocks w must be int32 \[nnz=\d+, kh, kw, 4, 4\]/
    },
    {
      name: 'int8 scales of the input width',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([layout().nnz, 4, 4], 'int32'), layout(), {scales: tf.ones([32])}]),
      message: /int8 blocks need their scales, float32 \[16\].*got float32 \[32\]/
    },
    {
      name: 'scales with float16 blocks',
      prepare: withInputs(blockSparseMatMul, () => [tf.zeros([4, 32]), tf.zeros([layout().nnz, 8, 4], 'int32'), layout(), {scales: tf.ones([16])}]),
      message: /scales are for int8 blocks \(w int32, from quantizeBlocks\); this w holds float16 blocks \(toFloat16Blocks\)/
    },
    {
      name: 'float16 conv blocks without the filter taps',
      prepare: withInputs(blockSparseConv2d, () => [tf.zeros([1, 5, 5, 32]) as tf.Tensor4D, tf.zeros([layout().nnz, 8, 4], 'int32'), layout(), 1, 'same' as const]),
      message: /float16 blocks w must be int32 \[nnz=\d+, kh, kw, 8, 4\]/
    },
    {
      name: 'quantizing a weight that holds NaN',
      prepare: withInputs(quantizeBlocks, () => [tf.tensor(new Float32Array(layout().nnz * 64).fill(NaN), [layout().nnz, 8, 8]), layout()]),
      message: /quantizeBlocks: the weight holds NaN \(at index 0\); only finite values quantize/
    },
    {
      name: 'quantizing blocks of 6',
      prepare: withInputs(quantizeBlocks, () => {
        const l = randomLayout({inputSize: 12, outputSize: 12, blockSize: 6, density: 0.5});
        return [tf.zeros([l.nnz, 6, 6]), l];
      }),
      message: /int8 blocks go four to an int32, so the block size must be a multiple of 4 \(up to 256\), got 6/
    },
    {
      name: 'LSTM gates of z not four times as wide as c',
      prepare: withInputs(lstmGates, () => [tf.zeros([2, 12]), tf.zeros([2, 4])]),
      message: /lstmGates: z must be \[batch, 4 \* units\] and c \[batch, units\], got z \[2,12\] and c \[2,4\]/
    },
    {
      name: 'LSTM gates with a recurrent activation they do not fuse',
      prepare: withInputs(lstmGates, () => [tf.zeros([2, 16]), tf.zeros([2, 4]), 'relu' as RecurrentActivation]),
      message: /lstmGates: recurrentActivation must be one of hardSigmoid, sigmoid, got relu/
    },
    {
      name: 'LSTM gates of an int32 state',
      prepare: withInputs(lstmGates, () => [tf.zeros([2, 16]), tf.zeros([2, 4], 'int32')]),
      message: /lstmGates: c must be float32, got int32/
    }
  ];
}
