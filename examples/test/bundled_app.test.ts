// The packages as a user's project gets them: the `npm pack` tarballs unpacked
// into a fresh node_modules, loaded from Node through their exports maps
// (require and import), and bundled by esbuild into a page
// (examples/bundler/app.mjs) that runs a block-sparse layer on webgl and wasm.
import {execFileSync} from 'child_process';
import {build, Metafile} from 'esbuild';
import {copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'fs';
import {join} from 'path';
import type {Browser} from 'playwright-core';

import {launchChromium, openPage, serveRepository} from '@tfjs-blocksparse/test-util/jest/browser';

const ROOT = join(__dirname, '..', '..');
const PROJECT = join(ROOT, 'test-results', 'bundled-app');
const PACKAGES = ['core', 'backend-cpu', 'backend-webgl', 'backend-wasm', 'layers', 'graph'];

let metafile: Metafile;

beforeAll(async () => {
  rmSync(PROJECT, {recursive: true, force: true});
  const scope = join(PROJECT, 'node_modules', '@tfjs-blocksparse');
  mkdirSync(scope, {recursive: true});
  for (const name of PACKAGES) {
    const [{filename}] = JSON.parse(
        execFileSync('npm', ['pack', '--json', '--pack-destination', PROJECT], {cwd: join(ROOT, 'packages', name), encoding: 'utf8'}));
    mkdirSync(join(scope, name));
    execFileSync('tar', ['-xzf', join(PROJECT, filename), '-C', join(scope, name), '--strip-components=1']);
  }
  // tfjs itself as the project would install it (the same version the repository tests).
  symlinkSync(join(ROOT, 'node_modules', '@tensorflow'), join(PROJECT, 'node_modules', '@tensorflow'));
  for (const file of ['app.mjs', 'index.html']) {
    copyFileSync(join(ROOT, 'examples', 'bundler', file), join(PROJECT, file));
  }
  // The project's own tsconfig: esbuild would otherwise apply the repository's paths, which map to the sources.
  writeFileSync(join(PROJECT, 'tsconfig.json'), '{}\n');
  ({metafile} = await build({
     absWorkingDir: PROJECT,
     entryPoints: ['app.mjs'],
     bundle: true,
     format: 'esm',
     platform: 'browser',
     outfile: 'app.js',
     metafile: true,
     logLevel: 'silent',
   }));
});

test('Node loads every package from its tarball, with require and with import', () => {
  const names = PACKAGES.map(name => `@tfjs-blocksparse/${name}`);
  const required = execFileSync(
      process.execPath,
      [
        '-e', `
    const names = ${JSON.stringify(names)};
    console.log(JSON.stringify(names.map(n => [require.resolve(n), Object.keys(require(n)).length])));`
      ],
      {cwd: PROJECT, encoding: 'utf8'});
  for (const [path, exported] of JSON.parse(required)) {
    expect(path).toMatch(new RegExp(`^${PROJECT}/node_modules/@tfjs-blocksparse/[a-z-]+/dist/tfjs-blocksparse-[a-z-]+\\.node\\.js$`));
    expect(exported).toBeGreaterThan(0);
  }
  const imported = execFileSync(
      process.execPath,
      [
        '--input-type=module', '-e', `
    import {randomLayout} from '@tfjs-blocksparse/core';
    import layers from '@tfjs-blocksparse/layers';
    import {GRAPH_MATMUL_OP} from '@tfjs-blocksparse/graph';
    console.log(randomLayout({inputSize: 32, outputSize: 32, blockSize: 8, density: 1 / 4, seed: 1}).nnz, typeof layers.blockSparseDense,
                GRAPH_MATMUL_OP);`
      ],
      {cwd: PROJECT, encoding: 'utf8'});
  expect(imported.trim()).toBe('4 function BlockSparseMatMul');
});

test('the layers need no tfjs-converter: the graph ops are a package of their own', () => {
  const layers = join(PROJECT, 'node_modules', '@tfjs-blocksparse', 'layers');
  expect(Object.keys(JSON.parse(readFileSync(join(layers, 'package.json'), 'utf8')).peerDependencies))
      .not.toContain('@tensorflow/tfjs-converter');
  for (const bundle of ['node', 'esm']) {
    expect(readFileSync(join(layers, 'dist', `tfjs-blocksparse-layers.${bundle}.js`), 'utf8')).not.toContain('tfjs-converter');
  }
});

test('esbuild bundles the ES module builds the exports maps name', () => {
  const inputs = Object.keys(metafile.inputs);
  // The packages app.mjs imports (and core, which they import).
  for (const name of ['core', 'backend-webgl', 'backend-wasm', 'layers']) {
    expect(inputs).toContain(`node_modules/@tfjs-blocksparse/${name}/dist/tfjs-blocksparse-${name}.esm.js`);
  }
});

describe('the bundled page', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRepository>>['server'];
  let url: string;

  beforeAll(async () => {
    ({server, url} = await serveRepository());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  test.each(['webgl', 'wasm'])(
      'runs a block-sparse Dense layer on %s, equal to tf.matMul with the dropped blocks zeroed', async backend => {
        const {page, errors} = await openPage(browser, `${url}/test-results/bundled-app/index.html?backend=${backend}`);
        try {
          const result = await page.evaluate(() => (window as unknown as {result: Promise<Record<string, unknown>>}).result);
          expect(result).toEqual({backend, maxError: expect.any(Number), nnz: 8});
          expect(result.maxError).toBeLessThan(1e-4);
          expect(errors).toEqual([]);
        } finally {
          await page.close();
        }
      });
});
