import * as tf from '@tensorflow/tfjs-core';
import {BlockLayout, blockSparseConv2d, blockSparseMatMul, blockSparseMatMulGradW, densify, randomLayout, releaseLayoutTables, sparsify} from '@tfjs-blocksparse/core';

import {badInputCases} from './bad_inputs';
import {conv2dCases, fusedConv2dCases, fusedMatMulCases, matMulCases, rowCountConv2dCases, rowCountMatMulCases} from './cases';
import {DeviceReadResult, deviceReadChecks} from './device_reads';
import {finiteDifferenceGaps} from './finite_difference';
import {Float16Results, runFloat16Checks} from './float16';
import {Int8Results, runInt8Checks} from './int8';
import {layersCheck, LayersCheckResult} from './layers_check';
import {LSTMGatesErrors, lstmGatesCases, runLSTMGatesCase} from './lstm_gates';
import {programsPerLayerCall, programsPerPointwiseConvCall} from './per_call_work';
import {seededValues} from './random';
import {relativeError, setReferenceBackend} from './reference';
import {CaseErrors, FusedCaseErrors, runConv2DCase, runFusedConv2DCase, runFusedMatMulCase, runMatMulCase} from './run_cases';
import {scoped, scopedSync} from './scoped';

/**
 * The shared suite that every backend runs on itself, with plain-data
 * results, so that it can run in jest, in a Node child process (Dawn) or
 * in a browser page, and be asserted by the same jest code.
 */
export interface SuiteOptions {
  matMulCases: number;
  conv2dCases: number;
  finiteDifferenceSamples: number;
  leakIterations: number;
  trainingSteps: number;
  /** Epochs of model.fit in the layers check. */
  layersEpochs: number;
  /** A block size the backend's kernels refuse, to check that they refuse it clearly. */
  unsupportedBlockSize?: number;
  /** Whether the backend has kernels for int8 blocks (else the suite checks the error a call gets). */
  int8Blocks: boolean;
  /** How many of int8Cases to run (spread evenly; default all). */
  int8Cases?: number;
  /** Whether the backend's kernels read float16 blocks (else the suite checks the error a call gets). */
  float16Blocks: boolean;
  /** How many of float16Cases to run (spread evenly; default all). */
  float16Cases?: number;
  /** The backend that computes dense references, where the suite's own backend's dense ops fall short (see setReferenceBackend). */
  referenceBackend?: string;
}

export const FULL_SUITE: SuiteOptions = {
  matMulCases: 240,
  conv2dCases: 200,
  finiteDifferenceSamples: 12,
  leakIterations: 20,
  trainingSteps: 30,
  layersEpochs: 15,
  int8Blocks: true,
  float16Blocks: true
};

export type CaseResult = CaseErrors|{error: string};

export interface UnsupportedBlockSizeResult {
  op: string;
  /** The error message, or null when the call did not throw. */
  message: string|null;
  leakedTensors: number;
}

export interface BadInputResult {
  name: string;
  /** The error message, or null when the call did not throw. */
  thrown: string|null;
  expected: string;
  leakedTensors: number;
}

export interface SuiteResults {
  backend: string;
  matMul: CaseResult[];
  conv2d: CaseResult[];
  /** The cases of rowCountMatMulCases and rowCountConv2dCases: every backend, every suite size. */
  matMulRows: CaseResult[];
  conv2dRows: CaseResult[];
  /** The cases of fusedMatMulCases: bias and activation in the product. */
  fusedMatMul: Array<FusedCaseErrors|{error: string}>;
  /** The cases of fusedConv2dCases. */
  fusedConv2d: Array<FusedCaseErrors|{error: string}>;
  /** The cases of lstmGatesCases: an LSTM step's gates in one kernel against separate tfjs ops. */
  lstmGates: Array<LSTMGatesErrors|{error: string}>;
  finiteDifference: {matMul: number, conv2d: number}|{error: string};
  badInputs: BadInputResult[];
  /**
   * Tensor and byte counts after a warm-up call, and after many more; on GPU
   * backends also the bytes of GPU buffers or textures in use.
   */
  leaks: {
    tensorsBefore: number,
    tensorsAfter: number,
    bytesBefore: number,
    bytesAfter: number,
    gpuBytesBefore: number|null,
    gpuBytesAfter: number|null
  };
  training: {initialLoss: number, finalLoss: number}|{error: string};
  /** dW of a layout with more blocks than one GPU dispatch dimension holds (65535). */
  largeGrid: number|{error: string};
  /**
   * Forward and transposed products, each called twice, with a weight of
   * 4,608 blocks of 8: more rows than a texture holds, so webgl lays it out
   * [blocks, 64] (see BlockSparseProductPackedProgram's texture walk); and
   * with 256 and 32 kept blocks per block column, at 3 rows and 1.
   */
  manyBlocks: number|{error: string};
  layers: LayersCheckResult|{error: string};
  /** Programs run by a repeated BlockSparseDense call (see programsPerLayerCall); null on cpu. */
  programsPerLayerCall: number|null|{error: string};
  /** Programs run by a repeated pointwise BlockSparseConv2D call (see programsPerPointwiseConvCall); null on cpu. */
  programsPerPointwiseConvCall: number|null|{error: string};
  unsupportedBlockSize?: UnsupportedBlockSizeResult[];
  /** Products and convs with int8 blocks, or the error where the backend lacks their kernels. */
  int8: Int8Results|{error: string};
  /** Products and convs with float16 blocks, or the error where the backend does not read them. */
  float16: Float16Results|{error: string};
  /** The conversion helpers that read tensors synchronously, on tensors computed on the backend (deviceReadChecks). */
  deviceReads: DeviceReadResult[];
}

async function guarded<T>(fn: () => Promise<T>): Promise<T|{error: string}> {
  try {
    return await fn();
  } catch (e) {
    return {error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e)};
  }
}

function gpuBytes(memory: tf.MemoryInfo): number|null {
  return (memory as {numBytesInGPU?: number}).numBytesInGPU ?? null;
}

function forwardAndBackward(layout: BlockLayout) {
  scopedSync(() => {
    const x = tf.tensor(seededValues(4 * 32, 1), [4, 32]);
    const w = tf.tensor(seededValues(layout.nnz * 64, 2), [layout.nnz, 8, 8]);
    const xc = tf.tensor(seededValues(2 * 6 * 6 * 32, 3), [2, 6, 6, 32]) as tf.Tensor4D;
    const wc = tf.tensor(seededValues(layout.nnz * 9 * 64, 4), [layout.nnz, 3, 3, 8, 8]);
    const grads = tf.grads(
        (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.add(
            tf.sum(tf.square(blockSparseMatMul(a, b, layout))),
            tf.sum(tf.square(blockSparseConv2d(c as tf.Tensor4D, d, layout, 2, 'same')))));
    tf.dispose(grads([x, w, xc, wc]));
  });
}

/**
 * A tiny regression model y = conv(x)·W fitted with Adam through both
 * block-sparse ops, from seeded data whose targets a sparse model can fit.
 */
function train(steps: number) {
  return scoped(async () => {
    const convLayout = randomLayout({inputSize: 8, outputSize: 16, blockSize: 4, density: 0.5, seed: 5});
    const layout = randomLayout({inputSize: 4 * 4 * 16, outputSize: 8, blockSize: 8, density: 0.5, seed: 6});
    const x = tf.tensor(seededValues(16 * 8 * 8 * 8, 7), [16, 8, 8, 8]) as tf.Tensor4D;
    const target = tf.tensor(seededValues(16 * 8, 8), [16, 8]);
    const wc = tf.variable(tf.mul(tf.tensor(seededValues(convLayout.nnz * 9 * 16, 9), [convLayout.nnz, 3, 3, 4, 4]), 0.3));
    const w = tf.variable(tf.mul(tf.tensor(seededValues(layout.nnz * 64, 10), [layout.nnz, 8, 8]), 0.1));
    const optimizer = tf.train.adam(0.01);
    const loss = () => {
      const h = tf.relu(blockSparseConv2d(x, wc, convLayout, 2, 'same'));
      const y = blockSparseMatMul(tf.reshape(h, [16, -1]), w, layout);
      return tf.mean(tf.square(tf.sub(y, target))) as tf.Scalar;
    };
    const initialLoss = (await loss().data())[0];
    for (let i = 0; i < steps; i++) {
      tf.dispose(optimizer.minimize(loss) ?? undefined);
    }
    const finalLoss = (await loss().data())[0];
    optimizer.dispose();
    tf.dispose([wc, w]);
    return {initialLoss, finalLoss};
  });
}

/** Relative error of dW for 256 x 257 blocks of 4 against the kept blocks of the dense xᵀ·dy. */
function largeGridError(): Promise<number> {
  return scoped(async () => {
    const layout = randomLayout({inputSize: 1024, outputSize: 1028, blockSize: 4, density: 1});
    const x = tf.tensor(seededValues(3 * 1024, 41), [3, 1024]);
    const dy = tf.tensor(seededValues(3 * 1028, 42), [3, 1028]);
    return relativeError(blockSparseMatMulGradW(x, dy, layout), sparsify(tf.matMul(x, dy, true, false), layout));
  });
}

/**
 * Largest relative error of x·W and y·Wᵀ against dense, each op called twice, at 3 rows and at 1: for 64 x 72
 * blocks of 8, and for weights whose block columns keep 256 blocks of 8 and 32 blocks of 32 (webgpu's few-row
 * program then takes its widest workgroups).
 */
function manyBlocksError(): Promise<number> {
  return scoped(async () => {
    const errors = [];
    const shapes: Array<[number, number, number]> = [[512, 576, 8], [2048, 256, 8], [1024, 256, 32]];
    for (const [[inputSize, outputSize, bs], s] of shapes.map((shape, i) => [shape, 43 + 4 * i] as const)) {
      const layout = randomLayout({inputSize, outputSize, blockSize: bs, density: 1});
      const w = tf.tensor(seededValues(layout.nnz * bs * bs, s), [layout.nnz, bs, bs]);
      const dense = densify(w, layout) as tf.Tensor2D;
      for (const rows of [3, 1]) {
        const x = tf.tensor(seededValues(rows * inputSize, s + 1), [rows, inputSize]) as tf.Tensor2D;
        const y = tf.tensor(seededValues(rows * outputSize, s + 2), [rows, outputSize]) as tf.Tensor2D;
        for (let call = 0; call < 2; call++) {
          errors.push(await relativeError(blockSparseMatMul(x, w, layout), tf.matMul(x, dense)));
          errors.push(await relativeError(blockSparseMatMul(y, w, layout, {transposeW: true}), tf.matMul(y, dense, false, true)));
        }
      }
      releaseLayoutTables(layout);
    }
    return Math.max(...errors);
  });
}

/** Both ops with a block size the backend refuses: the message of each, and tensors left behind. */
function tryUnsupportedBlockSize(bs: number): UnsupportedBlockSizeResult[] {
  return scopedSync(() => {
    const layout = randomLayout({inputSize: 4 * bs, outputSize: 4 * bs, blockSize: bs, density: 0.5});
    const [x, w] = [tf.zeros([2, 4 * bs]), tf.zeros([layout.nnz, bs, bs])];
    const [xc, wc] = [tf.zeros([1, 3, 3, 4 * bs]) as tf.Tensor4D, tf.zeros([layout.nnz, 1, 1, bs, bs])];
    const calls: Array<[string, () => tf.Tensor]> = [
      ['blockSparseMatMul', () => blockSparseMatMul(x, w, layout)],
      ['blockSparseConv2d', () => blockSparseConv2d(xc, wc, layout, 1, 'same')],
    ];
    return calls.map(([op, call]) => {
      const before = tf.memory().numTensors;
      let message: string|null = null;
      try {
        tf.dispose(call());
      } catch (e) {
        message = e instanceof Error ? e.message : String(e);
      }
      return {op, message, leakedTensors: tf.memory().numTensors - before};
    });
  });
}

export async function runSuite(options: SuiteOptions): Promise<SuiteResults> {
  setReferenceBackend(options.referenceBackend ?? null);
  try {
    return await runChecks(options);
  } finally {
    setReferenceBackend(null);
  }
}

async function runChecks(options: SuiteOptions): Promise<SuiteResults> {
  const badInputs =
      badInputCases().map(c => scopedSync(() => {
                            const call = c.prepare();
                            const before = tf.memory().numTensors;
                            let thrown: string|null = null;
                            try {
                              tf.dispose(call() as tf.Tensor);
                            } catch (e) {
                              thrown = e instanceof Error ? e.message : String(e);
                            }
                            return {name: c.name, thrown, expected: c.message.source, leakedTensors: tf.memory().numTensors - before};
                          }));

  // Layouts are made once and reused, as layers do; short-lived ones are released.
  const layout = randomLayout({inputSize: 32, outputSize: 48, blockSize: 8, density: 0.5, seed: 4});
  forwardAndBackward(layout);
  const memoryBefore = tf.memory();
  for (let i = 0; i < options.leakIterations; i++) {
    forwardAndBackward(layout);
    const temporary = randomLayout({inputSize: 32, outputSize: 48, blockSize: 8, density: 0.5, seed: 100 + i});
    forwardAndBackward(temporary);
    releaseLayoutTables(temporary);
  }
  const memoryAfter = tf.memory();

  const runAll = async<C, E>(cases: C[], run: (c: C) => Promise<E>) => {
    const results: Array<E|{error: string}> = [];
    for (const c of cases) {
      results.push(await guarded(() => run(c)));
    }
    return results;
  };
  return {
    backend: tf.getBackend(),
    matMul: await runAll(matMulCases(options.matMulCases), runMatMulCase),
    conv2d: await runAll(conv2dCases(options.conv2dCases), runConv2DCase),
    matMulRows: await runAll(rowCountMatMulCases(), runMatMulCase),
    conv2dRows: await runAll(rowCountConv2dCases(), runConv2DCase),
    fusedMatMul: await runAll(fusedMatMulCases(), runFusedMatMulCase),
    fusedConv2d: await runAll(fusedConv2dCases(), runFusedConv2DCase),
    lstmGates: await runAll(lstmGatesCases(), runLSTMGatesCase),
    finiteDifference: await guarded(() => finiteDifferenceGaps(options.finiteDifferenceSamples)),
    badInputs,
    leaks: {
      tensorsBefore: memoryBefore.numTensors,
      tensorsAfter: memoryAfter.numTensors,
      bytesBefore: memoryBefore.numBytes,
      bytesAfter: memoryAfter.numBytes,
      gpuBytesBefore: gpuBytes(memoryBefore),
      gpuBytesAfter: gpuBytes(memoryAfter)
    },
    training: await guarded(() => train(options.trainingSteps)),
    largeGrid: await guarded(largeGridError),
    manyBlocks: await guarded(manyBlocksError),
    layers: await guarded(() => layersCheck(options.layersEpochs, options.int8Blocks)),
    programsPerLayerCall: await guarded(async () => programsPerLayerCall()),
    programsPerPointwiseConvCall: await guarded(async () => programsPerPointwiseConvCall()),
    unsupportedBlockSize: options.unsupportedBlockSize == null ? undefined : tryUnsupportedBlockSize(options.unsupportedBlockSize),
    int8: await guarded(() => runInt8Checks(options.int8Cases)),
    float16: await guarded(() => runFloat16Checks(options.float16Blocks, options.float16Cases)),
    deviceReads: deviceReadChecks()
  };
}
