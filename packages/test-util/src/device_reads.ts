import * as tf from '@tensorflow/tfjs-core';
import {dequantizeBlocks, magnitudeLayout, quantizeBlocks, randomLayout, releaseLayoutTables} from '@tfjs-blocksparse/core';

import {seededValues} from './random';

/** A conversion helper called on tensors the backend computed: its error (null where it read them), and tensors left. */
export interface DeviceReadResult {
  name: string;
  thrown: string|null;
  leakedTensors: number;
}

/** The message of readValues's error (core), where a backend cannot read its memory synchronously (webgpu in Node). */
export const DEVICE_READ_MESSAGE = 'could not read a tensor synchronously \\(.*\\); make it from its values first';

/**
 * magnitudeLayout, quantizeBlocks and dequantizeBlocks read their tensors
 * synchronously: on tensors computed on the backend (tf.mul by 1: in the
 * backend's memory, on a GPU on the GPU) each must work, or throw the
 * error that says what to do.
 */
export function deviceReadChecks(): DeviceReadResult[] {
  // Over 1,000 values each: tfjs's webgpu backend runs ops on smaller tensors that are on the CPU there.
  const layout = randomLayout({inputSize: 16, outputSize: 1024, blockSize: 8, density: 0.5, seed: 11});
  const onDevice = (shape: number[], seed: number) => tf.mul(tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape), 1);
  // int8 blocks from values (quantizeBlocks reads those anywhere), their scales computed on the backend.
  const int8Blocks = () => ({
    w: quantizeBlocks(tf.tensor(seededValues(layout.nnz * 64, 13), [layout.nnz, 8, 8]), layout).w,
    scales: onDevice([1024], 14) as tf.Tensor1D
  });
  const calls: Array<[string, () => unknown]> = [
    ['magnitudeLayout', () => magnitudeLayout(onDevice([64, 64], 12), 8, 0.5)],
    ['quantizeBlocks', () => quantizeBlocks(onDevice([layout.nnz, 8, 8], 13), layout)],
    ['dequantizeBlocks', () => dequantizeBlocks(int8Blocks(), layout)],
  ];
  const results = calls.map(([name, call]): DeviceReadResult => {
    const before = tf.memory().numTensors;
    let thrown: string|null = null;
    try {
      tf.tidy(() => {
        call();
      });
    } catch (e) {
      thrown = e instanceof Error ? e.message : String(e);
    }
    return {name, thrown, leakedTensors: tf.memory().numTensors - before};
  });
  releaseLayoutTables(layout);
  return results;
}
