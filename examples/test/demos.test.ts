// Opens each demo page in headless Chromium on webgl, webgpu and wasm, and on cpu
// for reference: the page must start on the backend asked for (a missing one
// fails, never skips), its models' outputs for a fixed input must be finite,
// not constant, and equal to the cpu page's (same weights), and its live
// timing must fill in. Screenshots go to test-results/screenshots/.
import {mkdirSync} from 'fs';
import {Server} from 'http';
import {join} from 'path';
import {Browser, Page} from 'playwright-core';

import {launchChromium, openPage, serveRepository} from '@tfjs-blocksparse/test-util/jest/browser';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');
const EXAMPLES = ['sentiment', 'text', 'image'];
const BACKENDS = ['webgl', 'webgpu', 'wasm'];

interface Outputs {
  backend: string;
  values: number[];
}

let server: Server;
let url: string;
let browser: Browser;

beforeAll(async () => {
  ({server, url} = await serveRepository());
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, {recursive: true});
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

/** The page's hook (examples/shared/page.mjs exposeOutputs), once the page is ready. */
async function outputsOf(page: Page): Promise<Outputs> {
  await page.waitForFunction(() => (window as unknown as {demo?: unknown}).demo != null);
  return page.evaluate(() => (window as unknown as {demo: {outputs(): Promise<Outputs>}}).demo.outputs());
}

async function openDemo(example: string, backend: string, extra?: (page: Page) => Promise<void>) {
  const {page, errors} = await openPage(browser, `${url}/examples/${example}/index.html?backend=${backend}`);
  try {
    const outputs = await outputsOf(page);
    await extra?.(page);
    await page.screenshot({path: join(SCREENSHOTS, `${example}-${backend}.png`), fullPage: true});
    return {outputs, errors};
  } finally {
    await page.close();
  }
}

describe.each(EXAMPLES)('examples/%s page', example => {
  let reference: Outputs;

  beforeAll(async () => {
    const {outputs, errors} = await openDemo(example, 'cpu');
    expect(errors).toEqual([]);
    reference = outputs;
  });

  test.each(BACKENDS)('runs on %s, matching the cpu page, and times its sparse layer against dense', async backend => {
    let timing: string[] = [];
    const {outputs, errors} = await openDemo(example, backend, async page => {
      await page.click('#time');
      await page.waitForFunction(() => document.querySelectorAll('#timing tr').length > 1 && !(document.getElementById('time') as HTMLButtonElement).disabled);
      timing = await page.$$eval('#timing tr:nth-child(2) td', cells => cells.map(c => c.textContent ?? ''));
    });
    expect(errors).toEqual([]);
    expect(outputs.backend).toBe(backend);
    const values = outputs.values;
    expect(values.length).toBe(reference.values.length);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(1e-3);
    const scale = Math.max(1, ...reference.values.map(Math.abs));
    const worst = Math.max(...values.map((v, i) => Math.abs(v - reference.values[i])));
    expect(worst).toBeLessThan(1e-3 * scale);
    expect(timing).toHaveLength(4);
    expect(timing[1]).toMatch(/^[0-9.]+ ms$/);
    expect(timing[2]).toMatch(/^[0-9.]+ ms$/);
  });
});

test('a backend the browser lacks falls back visibly to the first that starts', async () => {
  const {page, errors} = await openPage(browser, `${url}/examples/sentiment/index.html?backend=metal`);
  try {
    const outputs = await outputsOf(page);
    expect(outputs.backend).toBe('webgpu');
    expect(await page.textContent('#backend')).toContain('metal is not available in this browser: running on webgpu.');
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
});
