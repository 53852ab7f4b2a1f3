// `npm run demo`'s server, as a visitor meets it: the root leads to the demos,
// markdown tables open as text, and the start-up lines name every backend.
import {ChildProcess, spawn} from 'child_process';
import {join} from 'path';

const ROOT = join(__dirname, '..', '..');
let server: ChildProcess;
let printed = '';
let url = '';

beforeAll(async () => {
  server = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.mjs'), '--port', '0'], {cwd: ROOT});
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const match = /demos: (http:\/\/127\.0\.0\.1:[0-9]+)\/examples\//.exec(printed);
      if (match != null && printed.includes('Ctrl-C')) {
        url = match[1];
        resolve();
      }
    });
    server.on('exit', code => reject(new Error(`scripts/demo.mjs exited (${code}): ${printed}`)));
  });
});

afterAll(() => {
  server?.kill();
});

test('the start-up lines name every backend a page can run on', () => {
  expect(printed).toMatch(/\?backend=webgpu, webgl, wasm or cpu/);
});

test('/ leads to the demos', async () => {
  const response = await fetch(`${url}/`);
  expect(response.status).toBe(200);
  expect(response.url).toBe(`${url}/examples/`);
  expect(await response.text()).toContain('<title>tfjs-blocksparse demos</title>');
});

test('a markdown table opens as text rather than downloading', async () => {
  const response = await fetch(`${url}/docs/benchmarks/cpu.md`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
});
