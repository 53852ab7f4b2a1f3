// Runs the benchmark cases in headless Chromium (Debian's chromium, SwiftShader
// behind WebGL and WebGPU) from a page served on 127.0.0.1.
import {chromium} from 'playwright-core';

import {serveRepository} from '../serve.mjs';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** Calls the bench page's window[entry](backend, options) and returns its result. */
async function runOnPage(entry, backend, options) {
  const {server, url} = await serveRepository();
  const browser = await chromium.launch({executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS});
  try {
    const page = await browser.newPage();
    page.on('pageerror', e => console.error('page error:', e.message));
    await page.goto(`${url}/scripts/bench/bench.html`);
    await page.waitForFunction(() => window.benchReady === true);
    return await page.evaluate(([e, b, o]) => window[e](b, o), [entry, backend, options]);
  } finally {
    await browser.close();
    server.close();
  }
}

/** The ops benchmark (cases.mjs) on a backend of the page. */
export function runInBrowser(backend, options) {
  return runOnPage('runBlockSparseBench', backend, options);
}

/** The whole-model benchmark (models.mjs) on a backend of the page. */
export function runModelsInBrowser(backend, options) {
  return runOnPage('runModelBench', backend, options);
}
