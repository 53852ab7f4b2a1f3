// `npm run demo`'s server, as a visitor meets it: the root leads to the demos,
// markdown tables open as text, the start-up lines name every backend, and the
// index and pages link to one another.
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

test('the index says what block sparsity is and buys, and every page links to every other', async () => {
  const index = await (await fetch(`${url}/examples/`)).text();
  expect(index).toContain('<h2>What block sparsity is</h2>');
  expect(index).toContain('<h2>What it buys</h2>');
  const pages = {'sentiment/': 'sentiment', 'text/': 'text', 'image/': 'image', 'benchmarks.html': 'benchmarks'};
  for (const [path, name] of Object.entries(pages)) {
    expect(index).toContain(`<a href="${path}">`);
    const html = await (await fetch(`${url}/examples/${path}`)).text();
    const nav = /<nav class="demos">(.*)<\/nav>/.exec(html)?.[1] ?? '';
    expect(nav).toContain(`<b>${name}</b>`);
    const prefix = path.endsWith('/') ? '../' : './';
    for (const [other, otherName] of Object.entries(pages).filter(([p]) => p !== path)) {
      expect(nav).toContain(`<a href="${prefix}${other}">${otherName}</a>`);
    }
    expect(nav).toContain(`<a href="${prefix}">all demos</a>`);
  }
});
