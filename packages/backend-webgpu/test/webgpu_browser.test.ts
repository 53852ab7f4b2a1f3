import type {Server} from 'http';
import type {Browser} from 'playwright-core';

import {SuiteOptions, SuiteResults} from '@tfjs-blocksparse/test-util';
import {launchChromium, openPage, serveRepository} from '@tfjs-blocksparse/test-util/jest/browser';
import {describeSuiteResults} from '@tfjs-blocksparse/test-util/jest/jest_suite';

/**
 * A subset of the shared suite on tfjs's webgpu backend in headless
 * Chromium (WebGPU on SwiftShader), from a localhost page that loads the
 * built UMD bundles. A missing WebGPU adapter fails the test.
 */
const BROWSER_SUITE: SuiteOptions = {
  matMulCases: 60,
  conv2dCases: 40,
  finiteDifferenceSamples: 6,
  leakIterations: 10,
  trainingSteps: 30
};

let server: Server;
let browser: Browser;
let results: SuiteResults;
let pageErrors: string[];

beforeAll(async () => {
  let url: string;
  ({server, url} = await serveRepository());
  browser = await launchChromium();
  const {page, errors} = await openPage(browser, `${url}/packages/test-util/browser/suite.html`);
  pageErrors = errors;
  results = await page.evaluate(
      (options: SuiteOptions) => (window as unknown as {
        runBlockSparseSuite: (backend: string, o: SuiteOptions) => Promise<SuiteResults>
      }).runBlockSparseSuite('webgpu', options), BROWSER_SUITE);
}, 900000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

test('the suite ran on webgpu in Chromium without page errors', () => {
  expect(results.backend).toBe('webgpu');
  expect(pageErrors).toEqual([]);
});

describeSuiteResults('webgpu in headless Chromium', BROWSER_SUITE, () => results);
