// Runs the benchmark cases in headless Chromium (Debian's chromium, SwiftShader
// behind WebGL and WebGPU) from a page served on 127.0.0.1.
import {createReadStream, existsSync, statSync} from 'node:fs';
import {createServer} from 'node:http';
import {extname, join, normalize, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

const ROOT = normalize(join(fileURLToPath(import.meta.url), '..', '..', '..'));
const TYPES = {'.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.map': 'application/json'};
const ARGS = [
  '--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader',
];

export async function runInBrowser(backend, options) {
  const server = createServer((req, res) => {
    const path = normalize(join(ROOT, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(ROOT + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream'});
    createReadStream(path).pipe(res);
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS});
  try {
    const page = await browser.newPage();
    page.on('pageerror', e => console.error('page error:', e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/scripts/bench/bench.html`);
    await page.waitForFunction(() => window.benchReady === true);
    return await page.evaluate(([b, o]) => window.runBlockSparseBench(b, o), [backend, options]);
  } finally {
    await browser.close();
    server.close();
  }
}
