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
// The WGSL kernels move vec4s: block sizes must be multiples of 4.
const DAWN_SUITE = {
  ...FULL_SUITE,
  unsupportedBlockSize: 6,
  int8Blocks: true
};
let results: SuiteResults;
let adapter: Record<string, string>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'blocksparse-dawn-'));
  const optionsPath = join(dir, 'options.json');
  const outPath = join(dir, 'results.json');
  writeFileSync(optionsPath, JSON.stringify(DAWN_SUITE));
  const stderr = await new Promise<string>(resolve => {
    execFile(
        process.execPath, [join(__dirname, 'dawn_suite_runner.mjs'), optionsPath, outPath], {timeout: 1200000, maxBuffer: 64 << 20},
        (_, __, err) => resolve(err));
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
}, 1300000);

test('the suite ran on webgpu through a Dawn adapter', () => {
  expect(results.backend).toBe('webgpu');
  expect(adapter).toBeDefined();
});

describeSuiteResults('webgpu in Node (Dawn)', DAWN_SUITE, () => results);
