import {execFile} from 'child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

import {FULL_SUITE, SuiteResults} from '@tfjs-blocksparse/test-util';
import {describeSuiteResults} from '@tfjs-blocksparse/test-util/jest/jest_suite';

/**
 * The shared suite on tfjs's webgpu backend in Node: Dawn over Chromium's
 * SwiftShader Vulkan driver (or the driver VK_ICD_FILENAMES names), in a
 * child process that loads the built bundles. No adapter is a failure.
 */
let results: SuiteResults;
let adapter: Record<string, string>;
let unsupportedBlockSize: {message: string|null, leaked: number};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'blocksparse-dawn-'));
  const optionsPath = join(dir, 'options.json');
  const outPath = join(dir, 'results.json');
  writeFileSync(optionsPath, JSON.stringify(FULL_SUITE));
  const stderr = await new Promise<string>(resolve => {
    execFile(process.execPath, [join(__dirname, 'dawn_suite_runner.mjs'), optionsPath, outPath],
             {timeout: 1200000, maxBuffer: 64 << 20}, (_, __, err) => resolve(err));
  });
  let out;
  try {
    out = JSON.parse(readFileSync(outPath, 'utf8'));
  } catch {
    throw new Error(`the Dawn runner wrote no results; its stderr:\n${stderr}`);
  }
  if (out.fatal) {
    throw new Error(`the Dawn runner failed: ${out.fatal}\n${stderr}`);
  }
  results = out.results;
  adapter = out.adapter;
  unsupportedBlockSize = out.unsupportedBlockSize;
}, 1300000);

test('the suite ran on webgpu through a Dawn adapter', () => {
  expect(results.backend).toBe('webgpu');
  expect(adapter).toBeDefined();
});

test('a block size the WGSL kernels do not take fails clearly and leaks nothing', () => {
  expect(unsupportedBlockSize).toEqual({
    message: expect.stringMatching(/BlockSparseMatMul on webgpu: block size 6 is not supported.*multiples of 4 up to 32/),
    leaked: 0
  });
});

describeSuiteResults('webgpu in Node (Dawn)', FULL_SUITE, () => results);
