import {createReadStream, existsSync, statSync} from 'fs';
import {createServer, Server} from 'http';
import {AddressInfo} from 'net';
import {extname, join, normalize, sep} from 'path';
import {Browser, chromium, Page} from 'playwright-core';

import type {SuiteOptions, SuiteResults} from '../src/suite';

import {describeSuiteResults} from './jest_suite';

const ROOT = normalize(join(__dirname, '..', '..', '..'));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.css': 'text/css',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
};

/** Debian's chromium with SwiftShader behind both WebGL (ANGLE) and WebGPU; never a downloaded browser. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader'
];

/**
 * Serves the repository read-only on 127.0.0.1 (an ephemeral port);
 * crossOriginIsolated pages may use SharedArrayBuffer (wasm threads).
 */
export async function serveRepository(crossOriginIsolated = false): Promise<{server: Server, url: string}> {
  const isolation: Record<string, string> =
      crossOriginIsolated ? {'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp'} : {};
  const server = createServer((req, res) => {
    const path = normalize(join(ROOT, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(ROOT + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', ...isolation});
    createReadStream(path).pipe(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`};
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({executablePath, args: CHROMIUM_ARGS});
}

/**
 * A new page whose waits allow 280 s: Playwright's default 30 s is less than a SwiftShader page's start-up on a
 * busy machine, and a slow machine should make the suite slower, not red. Under jest's 300 s per test, so a
 * stuck wait still names itself.
 */
export async function newPage(browser: Browser, options?: Parameters<Browser['newPage']>[0]): Promise<Page> {
  const page = await browser.newPage(options);
  page.setDefaultTimeout(280000);
  return page;
}

/** Opens a page and fails on any uncaught page error, so nothing is silently skipped. */
export async function openPage(browser: Browser, url: string): Promise<{page: Page, errors: string[]}> {
  const page = await newPage(browser);
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(e.message));
  const response = await page.goto(url);
  if (response == null || !response.ok()) {
    throw new Error(`could not load ${url}: ${response?.status()}`);
  }
  return {page, errors};
}

/**
 * The shared suite on one backend in headless Chromium, from a localhost
 * page that loads the built UMD bundles. A backend the browser cannot give
 * (no WebGPU adapter, lost WebGL context) fails the tests, never skips them.
 */
export function describeBrowserSuite(backend: string, options: SuiteOptions, crossOriginIsolated = false): () =>
    SuiteResults & Record<string, unknown> {
  let server: Server;
  let browser: Browser;
  // Plus what the page adds for its backend (wasm: wasmKernelThreads, threadStress).
  let results: SuiteResults&Record<string, unknown>;
  let pageErrors: string[];

  beforeAll(async () => {
    let url: string;
    ({server, url} = await serveRepository(crossOriginIsolated));
    browser = await launchChromium();
    const {page, errors} = await openPage(browser, `${url}/packages/test-util/browser/suite.html`);
    pageErrors = errors;
    results = await page.evaluate(
        ([name, o]) => (window as unknown as {
                         runBlockSparseSuite: (backend: string, o: SuiteOptions) => Promise<SuiteResults&Record<string, unknown>>
                       }).runBlockSparseSuite(name, o),
        [backend, options] as [string, SuiteOptions]);
  }, 1800000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  const where = `${backend} in headless Chromium${crossOriginIsolated ? ' (cross-origin isolated)' : ''}`;
  test(`the suite ran on ${where} without page errors`, () => {
    expect(results.backend).toBe(backend);
    expect(pageErrors).toEqual([]);
  });

  describeSuiteResults(where, options, () => results);
  return () => results;
}
