// A backend without this project's kernels gets a message that names the package to import.
import * as tf from '@tensorflow/tfjs';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {blockSparseConv2d, blockSparseMatMul, randomLayout} from '@tfjs-blocksparse/core';

const layout = randomLayout({inputSize: 8, outputSize: 8, blockSize: 4, density: 0.5, seed: 1});

test.each([['wasm', /import '@tfjs-blocksparse\/backend-wasm' to register it/], ['bare', /kernels exist for cpu, wasm, webgl, webgpu/]])(
    'a \'%s\' backend without the kernels names what to import', async (name, fix) => {
      // tfjs's cpu backend under another name: tfjs's kernels, none of this project's.
      tf.registerBackend(name, () => new MathBackendCPU());
      await tf.setBackend(name);
      const w = tf.zeros([layout.nnz, 4, 4]);
      expect(() => blockSparseMatMul(tf.zeros([2, 8]), w, layout))
          .toThrow(new RegExp(`blockSparseMatMul: no BlockSparseMatMul kernel is registered for the '${name}' backend: ${fix.source}`));
      expect(() => blockSparseConv2d(tf.zeros([1, 4, 4, 8]) as tf.Tensor4D, tf.zeros([layout.nnz, 3, 3, 4, 4]), layout))
          .toThrow(/blockSparseConv2d: no BlockSparseConv2D kernel is registered/);
      tf.removeBackend(name);
    });
