/// <reference types="jest" />
import {conv2dCases, describeCase, fusedConv2dCases, fusedMatMulCases, matMulCases, ROW_CASE_BLOCK_SIZES, ROW_COUNTS, rowCountConv2dCases, rowCountMatMulCases} from '../src/cases';
import {DEVICE_READ_MESSAGE} from '../src/device_reads';
import {Float16Results, float16Cases} from '../src/float16';
import {describeQuantizedCase, Int8Results, int8Cases} from '../src/int8';
import {describeLSTMGatesCase, lstmGatesCases} from '../src/lstm_gates';
import type {SuiteOptions, SuiteResults} from '../src/suite';

/** fp32 against fp32 dense tfjs on the same backend. */
export const RELATIVE_TOLERANCE = 1e-4;

/**
 * Jest assertions over a backend's SuiteResults. `results` is read when the
 * tests run, so it may be filled in a beforeAll (in jest, from a child
 * process or from a browser page).
 */
export function describeSuiteResults(label: string, options: SuiteOptions, results: () => SuiteResults, tolerance = RELATIVE_TOLERANCE) {
  describe(label, () => {
    const check = (kind: 'matMul'|'conv2d'|'matMulRows'|'conv2dRows', index: number, caseText: string) => {
      const r = results()[kind][index];
      if ('error' in r) {
        throw new Error(`${caseText} threw: ${r.error}`);
      }
      expect({case: caseText, ...r}).toEqual({case: caseText, forward: expect.any(Number), dx: expect.any(Number), dw: expect.any(Number)});
      for (const part of ['forward', 'dx', 'dw'] as const) {
        if (!(r[part] <= tolerance)) {
          throw new Error(`${part} relative error ${r[part]} > ${tolerance} in ${caseText}`);
        }
      }
    };

    describe('blockSparseMatMul matches tf.matMul with the densified weight (y, dx, dW)', () => {
      const cases = matMulCases(options.matMulCases);
      test.each(cases.map((c, i) => [i, describeCase(c)]))('case %i %s', (i, text) => {
        check('matMul', i as number, text as string);
      });
    });

    describe('blockSparseConv2d matches tf.conv2d with the densified filter (y, dx, dW)', () => {
      const cases = conv2dCases(options.conv2dCases);
      test.each(cases.map((c, i) => [i, describeCase(c)]))('case %i %s', (i, text) => {
        check('conv2d', i as number, text as string);
      });
    });

    describe(
        `both products and gradients at ${ROW_COUNTS.join(', ')} rows (few-row and tiled programs), blocks ${
            ROW_CASE_BLOCK_SIZES.join('/')}`,
        () => {
          test.each(rowCountMatMulCases().map((c, i) => [i, describeCase(c)]))('matmul case %i %s', (i, text) => {
            check('matMulRows', i as number, text as string);
          });
          test.each(rowCountConv2dCases().map((c, i) => [i, describeCase(c)]))('conv2d case %i %s', (i, text) => {
            check('conv2dRows', i as number, text as string);
          });
        });

    const checkFused = (kind: 'fusedMatMul'|'fusedConv2d', index: number, text: string) => {
      const r = results()[kind][index];
      if ('error' in r) {
        throw new Error(`${text} threw: ${r.error}`);
      }
      const {activation} = (kind === 'fusedMatMul' ? fusedMatMulCases() : fusedConv2dCases())[index];
      const parts = ['forward', 'dx', 'dw', 'dbias', ...(activation === 'prelu' ? ['dslopes' as const] : [])] as const;
      for (const part of parts) {
        if (!(r[part]! <= tolerance)) {
          throw new Error(`${part} relative error ${r[part]} > ${tolerance} in ${text}`);
        }
      }
    };

    describe('blockSparseMatMul with a fused bias and activation matches act(tf.matMul + bias) (y, dx, dW, dbias; prelu slopes)', () => {
      test.each(fusedMatMulCases().map((c, i) => [i, describeCase(c)]))('case %i %s', (i, text) => {
        checkFused('fusedMatMul', i as number, text as string);
      });
    });

    describe('blockSparseConv2d with a fused bias and activation matches act(tf.conv2d + bias) (y, dx, dW, dbias; prelu slopes)', () => {
      test.each(fusedConv2dCases().map((c, i) => [i, describeCase(c)]))('case %i %s', (i, text) => {
        checkFused('fusedConv2d', i as number, text as string);
      });
    });

    describe('lstmGates matches the LSTM step as separate tfjs ops (h, c\', dz, dc)', () => {
      test.each(lstmGatesCases().map((c, i) => [i, describeLSTMGatesCase(c)]))('case %i %s', (i, text) => {
        const r = results().lstmGates[i as number];
        if ('error' in r) {
          throw new Error(`${text} threw: ${r.error}`);
        }
        for (const part of ['h', 'c', 'dz', 'dc'] as const) {
          if (!(r[part] <= tolerance)) {
            throw new Error(`${part} relative error ${r[part]} > ${tolerance} in ${text}`);
          }
        }
      });
    });

    test('gradients match central finite differences', () => {
      const fd = results().finiteDifference;
      if ('error' in fd) {
        throw new Error(fd.error);
      }
      expect(fd.matMul).toBeLessThan(1e-3);
      expect(fd.conv2d).toBeLessThan(1e-3);
    });

    test('bad input throws a clear error and leaks no tensor', () => {
      const bad = results().badInputs;
      expect(bad.length).toBeGreaterThan(15);
      for (const b of bad) {
        expect({name: b.name, thrown: b.thrown, leaked: b.leakedTensors})
            .toEqual({name: b.name, thrown: expect.stringMatching(new RegExp(b.expected)), leaked: 0});
      }
    });

    test('magnitudeLayout, quantizeBlocks and dequantizeBlocks read tensors on the device, or say what to do; leak nothing', () => {
      const reads = results().deviceReads;
      expect(reads.map(r => r.name)).toEqual(['magnitudeLayout', 'quantizeBlocks', 'dequantizeBlocks']);
      for (const r of reads) {
        expect({name: r.name, leaked: r.leakedTensors}).toEqual({name: r.name, leaked: 0});
        if (r.thrown != null) {
          expect(r.thrown).toMatch(new RegExp(`^${r.name}: .*${DEVICE_READ_MESSAGE}`));
        }
      }
    });

    test('repeated forward and backward calls leak no tensors, bytes or GPU memory', () => {
      const {leaks} = results();
      expect(leaks.tensorsAfter).toBe(leaks.tensorsBefore);
      expect(leaks.bytesAfter).toBe(leaks.bytesBefore);
      expect(leaks.gpuBytesAfter).toBe(leaks.gpuBytesBefore);
    });

    if (options.unsupportedBlockSize != null) {
      test(`block size ${options.unsupportedBlockSize} is refused clearly by both ops, leaking nothing`, () => {
        const refused = (op: string, kernel: string) => ({
          op,
          message: expect.stringMatching(
              new RegExp(`${kernel} on ${results().backend}: block size ${options.unsupportedBlockSize} is not supported`)),
          leakedTensors: 0
        });
        expect(results().unsupportedBlockSize).toEqual([
          refused('blockSparseMatMul', 'BlockSparseMatMul'), refused('blockSparseConv2d', 'BlockSparseConv2D')
        ]);
      });
    }

    const int8 = (): Int8Results => {
      const r = results().int8;
      if ('error' in r) {
        throw new Error(r.error);
      }
      return r;
    };
    if (options.int8Blocks) {
      describe(
          'int8 blocks: y, dx and dscales match dense tfjs with the dequantized weight; y within the quantization bound of float32', () => {
            test.each(int8Cases(options.int8Cases).map((c, i) => [i, describeQuantizedCase(c)]))('case %i %s', (i, text) => {
              const r = int8().cases[i as number];
              if ('error' in r) {
                throw new Error(`${text} threw: ${r.error}`);
              }
              expect(r.forward).toBeLessThanOrEqual(tolerance);
              expect(r.dx).toBeLessThanOrEqual(tolerance);
              expect(r.dscales).toBeLessThanOrEqual(tolerance);
              expect(r.dwLargest).toBe(0);
              expect(r.boundRatio).toBeLessThanOrEqual(1.001);
            });
          });
      test('int8 blocks: the backend has their kernels; the cases leak no tensor', () => {
        expect(int8()).toMatchObject({supported: true, leakedTensors: 0});
      });
    } else {
      test('int8 blocks: a call throws a clear error naming the backend; nothing leaks', () => {
        expect(int8()).toMatchObject({
          supported: false,
          unsupportedMessage: expect.stringMatching(new RegExp(`int8 blocks are not supported on the '${results().backend}' backend`)),
          leakedTensors: 0
        });
      });
    }

    const float16 = (): Float16Results => {
      const r = results().float16;
      if ('error' in r) {
        throw new Error(r.error);
      }
      return r;
    };
    if (options.float16Blocks) {
      describe('float16 blocks: y and dx match dense tfjs with the weight they stand for; y within the rounding bound of float32', () => {
        test.each(float16Cases(options.float16Cases).map((c, i) => [i, describeQuantizedCase(c)]))('case %i %s', (i, text) => {
          const r = float16().cases[i as number];
          if ('error' in r) {
            throw new Error(`${text} threw: ${r.error}`);
          }
          expect(r.forward).toBeLessThanOrEqual(tolerance);
          expect(r.dx).toBeLessThanOrEqual(tolerance);
          expect(r.dwLargest).toBe(0);
          expect(r.boundRatio).toBeLessThanOrEqual(1.001);
        });
      });
      test('float16 blocks: the cases leak no tensor', () => {
        expect(float16()).toMatchObject({supported: true, leakedTensors: 0});
      });
    } else {
      test('float16 blocks: a call throws a clear error naming the backend; nothing leaks', () => {
        expect(float16()).toMatchObject({
          supported: false,
          unsupportedMessage: expect.stringMatching(new RegExp(`float16 blocks are not supported on the '${results().backend}' backend`)),
          leakedTensors: 0
        });
      });
    }

    test('dW of a layout with more blocks than one dispatch dimension holds', () => {
      const e = results().largeGrid;
      if (typeof e !== 'number') {
        throw new Error(e.error);
      }
      expect(e).toBeLessThanOrEqual(tolerance);
    });

    test('products with a weight of more blocks than a texture has rows, called twice', () => {
      const e = results().manyBlocks;
      if (typeof e !== 'number') {
        throw new Error(e.error);
      }
      expect(e).toBeLessThanOrEqual(tolerance);
    });

    test('block-sparse layers train with model.fit and reload with identical predictions', () => {
      const l = results().layers;
      if ('error' in l) {
        throw new Error(l.error);
      }
      expect(l.finalLoss).toBeLessThan(0.7 * l.initialLoss);
      expect(l.reloadDifference).toBe(0);
    });

    if (options.int8Blocks) {
      test('the trained conv and dense layers with int8 blocks predict as with the blocks dequantized, and reload exactly', () => {
        const l = results().layers;
        if ('error' in l) {
          throw new Error(l.error);
        }
        expect(l.int8).toBeDefined();
        expect(l.int8!.predictionError).toBeLessThan(1e-4);
        expect(l.int8!.reloadDifference).toBe(0);
      });
    }

    test('a repeated layer call runs one program, its product with bias and ReLU fused', () => {
      const programs = results().programsPerLayerCall;
      if (programs != null && typeof programs === 'object') {
        throw new Error(programs.error);
      }
      // cpu and wasm run kernels in place, with no programs to count.
      expect(programs).toBe(['cpu', 'wasm'].includes(results().backend) ? null : 1);
    });

    test('a repeated pointwise (1x1) conv layer call runs one program, the product over x\'s pixels', () => {
      const programs = results().programsPerPointwiseConvCall;
      if (programs != null && typeof programs === 'object') {
        throw new Error(programs.error);
      }
      expect(programs).toBe(['cpu', 'wasm'].includes(results().backend) ? null : 1);
    });

    test('an optimizer trains through both ops', () => {
      const t = results().training;
      if ('error' in t) {
        throw new Error(t.error);
      }
      expect(t.finalLoss).toBeLessThan(0.5 * t.initialLoss);
    });
  });
}
