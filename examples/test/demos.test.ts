// Opens each demo page in headless Chromium on webgl, webgpu and wasm, and on cpu
// for reference: the page must start on the backend asked for (a missing one
// fails, never skips), say it is ready and enable its buttons, its models'
// outputs for a fixed input must be finite, not constant, and equal to the cpu
// page's (same weights), its live timing (whole models and one layer) must fill
// in, and on one backend per page the density sweep must draw its plot. A missing
// weight file is shown in the page with what to do; fine-tuning draws its loss.
// Screenshots go to test-results/screenshots/.
import {mkdirSync} from 'fs';
import {Server} from 'http';
import {join} from 'path';
import {Browser, Page} from 'playwright-core';

import {launchChromium, newPage, openPage, serveRepository} from '@tfjs-blocksparse/test-util/jest/browser';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');
const EXAMPLES = ['sentiment', 'text', 'image'];
const BACKENDS = ['webgl', 'webgpu', 'wasm'];
/** Where each page's density sweep is checked (one backend each keeps the suite short). */
const SWEEP_BACKEND: Record<string, string> = {
  sentiment: 'webgpu',
  text: 'webgl',
  image: 'wasm'
};
/** A median with its range, as timingRow writes it. */
const TIMING = /^[0-9.]+ ms \([0-9.]+–[0-9.]+\)$/;

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

  test.each(BACKENDS)('runs on %s, matching the cpu page, and times its models and sparse layer against dense', async backend => {
    let timing: string[][] = [];
    let status = '';
    let sweepPoints = 0;
    let payoff = '';
    const {outputs, errors} = await openDemo(example, backend, async page => {
      await page.waitForFunction(() => /^ready/.test(document.getElementById('status')?.textContent ?? ''));
      status = (await page.textContent('#status'))!;
      expect(await page.$$eval('button', buttons => buttons.filter(b => (b as HTMLButtonElement).disabled).length)).toBe(0);
      await page.click('#time');
      await page.waitForFunction(
          () => document.querySelectorAll('#timing tr').length > 2 && !(document.getElementById('time') as HTMLButtonElement).disabled);
      timing =
          await page.$$eval('#timing tr', rows => rows.slice(1).map(r => Array.from(r.querySelectorAll('td'), c => c.textContent ?? '')));
      // The payoff: the three models' quality against their time here, and what the sparse one buys.
      expect(await page.$$eval('#payoff circle.point', points => points.map(p => p.getAttribute('class')))).toEqual([
        'point big', 'point sparse', 'point dense'
      ]);
      expect(await page.isVisible('#payoff')).toBe(true);
      payoff = (await page.textContent('#payoff-summary'))!;
      if (SWEEP_BACKEND[example] === backend) {
        await page.click('#sweep');
        await page.waitForFunction(
            () => !(document.getElementById('sweep') as HTMLButtonElement).disabled &&
                document.querySelectorAll('#sweep-plot circle').length > 0);
        sweepPoints = await page.$$eval('#sweep-plot circle.point', points => points.length);
        expect(await page.$$eval('#sweep-plot polyline.ideal', lines => lines.length)).toBe(1);
        const sweep = (await page.textContent('#sweep-output'))!;
        expect(sweep.match(/density [0-9.]+:/g)).toEqual([
          'density 1:', 'density 0.5:', 'density 0.25:', 'density 0.125:', 'density 0.0625:'
        ]);
        expect(sweep).toMatch(/at 1\/16: [0-9.]+x of the ideal 16x/);
      }
      if (example === 'image' && backend === SWEEP_BACKEND.image) {
        await page.click('#complete');
        await page.waitForFunction(
            () => /^the bottom halves of 8 test digits/.test(document.getElementById('complete-output')?.textContent ?? ''));
        // The completions' top halves are the given digits' (row 1 above, row 2 below, 8 digits each).
        const halves = await page.evaluate(() => {
          const canvas = document.getElementById('completions') as HTMLCanvasElement;
          const rowHeight = canvas.height / 2;
          const g = canvas.getContext('2d')!;
          const top = (y: number) => Array.from(g.getImageData(0, y, canvas.width, rowHeight * 0.45).data);
          return {given: top(0), completed: top(rowHeight)};
        });
        expect(halves.completed).toEqual(halves.given);
        await page.click('#sample');
        await page.waitForFunction(
            () => /^16 samples from the block-sparse model/.test(document.getElementById('sample-output')?.textContent ?? ''));
        expect(await page.textContent('#sample-output')).toMatch(/; [0-9]+ of 16 digit-like \(within [0-9]+ pixels of a training digit\)$/);
        // A long drawing shows its progress with an estimate, and the same button stops it.
        // The stop is clicked from inside the page at the first progress line: the page takes input only between
        // rows on wasm, where Playwright's click (several round trips) could arrive after the last row.
        await page.click('#sample');
        const stopped = await page.waitForFunction(() => {
          const button = document.getElementById('sample') as HTMLButtonElement;
          if (!/^drawing: [0-9]+ of 196 pixels, about [0-9]+ s left…$/.test(
                  document.getElementById('sample-output')?.textContent ?? '')) {
            return null;
          }
          const label = button.textContent;
          button.click();
          return label;
        });
        expect(await stopped.jsonValue()).toBe('Stop');
        await page.waitForFunction(
            () => /^stopped after [0-9.]+ s on wasm$/.test(document.getElementById('sample-output')?.textContent ?? ''));
        expect(await page.textContent('#sample')).toBe('Draw 16 samples');
        // Your own digit: a stroke down the pad; both models keep its top half, complete the rest and score it.
        await page.locator('#pad').scrollIntoViewIfNeeded();
        const pad = (await page.locator('#pad').boundingBox())!;
        await page.mouse.move(pad.x + pad.width * 0.45, pad.y + pad.height * 0.1);
        await page.mouse.down();
        await page.mouse.move(pad.x + pad.width * 0.55, pad.y + pad.height * 0.9, {steps: 20});
        await page.mouse.up();
        await page.click('#pad-complete');
        await page.waitForFunction(() => /^yours, then completed/.test(document.getElementById('pad-output')?.textContent ?? ''));
        expect(await page.textContent('#pad-output'))
            .toMatch(
                /^yours, then completed by the big dense, block-sparse, small dense models; your digit scores [0-9.]+ bits\/pixel for the big dense model, [0-9.]+ bits\/pixel for the block-sparse model, [0-9.]+ bits\/pixel for the small dense model/);
        const tops = await page.evaluate(() => {
          const canvas = document.getElementById('pad-completions') as HTMLCanvasElement;
          const g = canvas.getContext('2d')!;
          const cell = canvas.width / 4;
          return [0, 1, 2, 3].map(k => Array.from(g.getImageData(k * cell, 0, cell * 14 / 15, canvas.height * 0.45).data));
        });
        expect(tops[0].filter((v, i) => i % 4 === 0 && v < 128).length).toBeGreaterThan(0);  // ink in the top half
        expect(tops[1]).toEqual(tops[0]);
        expect(tops[2]).toEqual(tops[0]);
        expect(tops[3]).toEqual(tops[0]);
      }
    });
    expect(status).toMatch(new RegExp(`^ready \\([0-9.]+ s to load and compile on ${backend}\\)$`));
    // The start-up time, for the log (the target: 20 s on wasm, 60 s on webgl, on the 2-core machine).
    process.stdout.write(`examples/${example} on ${backend}: ${status}\n`);
    expect(errors).toEqual([]);
    expect(outputs.backend).toBe(backend);
    const values = outputs.values;
    expect(values.length).toBe(reference.values.length);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(1e-3);
    const scale = Math.max(1, ...reference.values.map(Math.abs));
    const worst = Math.max(...values.map((v, i) => Math.abs(v - reference.values[i])));
    expect(worst).toBeLessThan(1e-3 * scale);
    expect(timing[0][1]).toMatch(/^whole model, one (sentence|character|sampling step): block-sparse vs big dense/);
    expect(timing[1][1]).toMatch(/^whole model, one (sentence|character|sampling step): block-sparse vs small dense/);
    const percent = '[0-9.]+% (better|worse), in [0-9.]+x its time';
    expect(payoff).toMatch(new RegExp(
        `^On ${backend}, the block-sparse model scores [0-9.]+ .+ in [0-9.]+ ms per .+; ` +
        `against the big dense model \\([0-9.]+, [0-9.]+ ms\\): ${percent}; ` +
        `against the small dense model \\([0-9.]+, [0-9.]+ ms\\): ${percent}\\.$`));
    for (const row of timing) {
      expect(row).toHaveLength(5);
      expect(row[0]).toMatch(/^1 · [0-9]/);  // which "Time it" run, and when
      expect(row[2]).toMatch(TIMING);
      expect(row[3]).toMatch(TIMING);
      expect(row[4]).toMatch(/^[0-9.]+x$/);
    }
    expect(sweepPoints).toBe(SWEEP_BACKEND[example] === backend ? 5 : 0);
  });
});

test('a missing weight file is shown in the page with the command that writes it, buttons staying disabled', async () => {
  const page = await newPage(browser);
  try {
    await page.route('**/sentiment/pretrained/results.json', route => route.fulfill({status: 404, body: 'not found'}));
    await page.goto(`${url}/examples/sentiment/index.html?backend=cpu`);
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status'))
        .toBe(
            'Could not start: could not load pretrained/results.json (HTTP 404). Its script writes it: ' +
            'run `node examples/sentiment/train.mjs` and reload.');
    expect(await page.$$eval('button', buttons => buttons.every(b => (b as HTMLButtonElement).disabled))).toBe(true);
  } finally {
    await page.close();
  }
});

test('sentiment reads negation, says when no word is known, and fine-tuning draws its loss and evaluates', async () => {
  const {page, errors} = await openPage(browser, `${url}/examples/sentiment/index.html?backend=wasm`);
  const classify = async (sentence: string) => {
    await page.fill('#sentence', sentence);
    await page.click('#classify');
    await page.waitForFunction(s => document.getElementById('prediction')?.dataset.sentence === s, sentence);
    return (await page.textContent('#prediction'))!;
  };
  try {
    await page.waitForFunction(() => /^ready/.test(document.getElementById('status')?.textContent ?? ''));
    // Neither sentence is in the corpus; the models learnt "not" from counterfactual copies of other sentences.
    expect(await classify('This phone is bad.')).toMatch(/^block-sparse +negative/m);
    expect(await classify('This phone is not bad.')).toMatch(/^block-sparse +positive/m);
    expect(await classify('zxqv blorf')).toMatch(/^No known words/);
    const frames = await fineTune(page, /accuracy on the first 200 test sentences now [0-9.]+$/);
    // The page drew a frame after every step (it froze for the whole training on wasm before), and the chart
    // has its axes' values and the last loss.
    expect(frames).toBeGreaterThanOrEqual(20);
    expect(Number(await page.getAttribute('#loss', 'data-points'))).toBe(20);
    expect(await page.$$eval('#loss text.tick', ticks => ticks.length)).toBe(5);
    expect(await page.textContent('#loss')).toMatch(/training step/);
    expect(await page.textContent('#loss text.last')).toMatch(/^[0-9.]+$/);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
});

/** Clicks "train", counting the animation frames the page draws until the output matches `done`. */
async function fineTune(page: Page, done: RegExp): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as {framesDrawn: number};
    w.framesDrawn = 0;
    const count = () => {
      w.framesDrawn++;
      requestAnimationFrame(count);
    };
    requestAnimationFrame(count);
  });
  await page.click('#train');
  await page.waitForFunction(d => new RegExp(d).test(document.getElementById('train-output')?.textContent ?? ''), done.source);
  expect(await page.isVisible('#loss')).toBe(true);
  return page.evaluate(() => (window as unknown as {framesDrawn: number}).framesDrawn);
}

test(
    'text generation refuses a temperature it cannot use, names the characters it leaves out, wraps, scores your own ' +
        'text, and fine-tunes live',
    async () => {
      const page = await newPage(browser, {viewport: {width: 390, height: 844}});
      const errors: string[] = [];
      page.on('pageerror', e => errors.push(e.message));
      try {
        await page.goto(`${url}/examples/text/index.html?backend=wasm`);
        await page.waitForFunction(() => /^ready/.test(document.getElementById('status')?.textContent ?? ''));
        for (const temperature of ['0', '', '5']) {
          await page.fill('#temperature', temperature);
          await page.click('#generate');
          expect(await page.textContent('#generate-note')).toBe(`The temperature must be a number from 0.1 to 2; got "${temperature}".`);
          expect(await page.textContent('#generated')).toBe('');
        }
        await page.fill('#temperature', '0.7');
        // An unbroken prompt of 200 symbols must wrap on a phone, not widen the page.
        await page.fill('#prompt', `¡Héllo; Wörld! 😀 你好 ${'a'.repeat(200)}`);
        await page.click('#generate');
        await page.waitForFunction(
            () => /characters in [0-9.]+ s on wasm\)$/.test(document.getElementById('generated')?.textContent ?? ''));
        expect(await page.textContent('#generate-note')).toBe('Left out of the prompt, not among the model\'s 48 symbols: ¡ é ö 😀 你 好');
        expect(await page.textContent('#generated')).toMatch(/^hllo; wrld! +a{200}/);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        // Your own text: too short, then a file of English prose, scored by both models.
        await page.fill('#own-text', 'call me ishmael.');
        await page.click('#own-score');
        expect(await page.textContent('#own-output')).toBe('The text has 16 usable characters; at least 65 are needed.');
        const prose = 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in ' +
            'want of a wife. However little known the feelings or views of such a man may be on his first entering ' +
            'a neighbourhood, this truth is so well fixed in the minds of the surrounding families.';
        await page.setInputFiles('#own-file', {name: 'austen.txt', mimeType: 'text/plain', buffer: Buffer.from(prose)});
        await page.waitForFunction(() => (document.getElementById('own-text') as HTMLTextAreaElement).value.startsWith('It is a truth'));
        await page.click('#own-score');
        await page.waitForFunction(() => /^big dense/.test(document.getElementById('own-output')?.textContent ?? ''));
        const scores = new RegExp(
                           ['big dense', 'block-sparse', 'small dense']
                               .map(name => `${name}: ([0-9.]+) bits/char \\([0-9.]+ on held-out Moby-Dick\\)`)
                               .join(', ') +
                           '; over 4 sequences \\(256 characters\\)')
                           .exec((await page.textContent('#own-output'))!);
        expect(scores).not.toBeNull();
        // English prose the models never saw: worse than uniform over 48 symbols (5.6 bits) would mean a broken model.
        for (const bits of scores!.slice(1).map(Number)) {
          expect(bits).toBeGreaterThan(1);
          expect(bits).toBeLessThan(4);
        }
        expect(await fineTune(page, /held-out sequences now [0-9.]+ bits\/char$/)).toBeGreaterThanOrEqual(20);
        expect(await page.textContent('#loss')).toMatch(/loss \(bits\/char\)/);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });

test.each(EXAMPLES)('the %s page fits a phone\'s width', async example => {
  const page = await newPage(browser, {viewport: {width: 390, height: 844}});
  try {
    await page.goto(`${url}/examples/${example}/index.html?backend=wasm`);
    await page.waitForFunction(() => /^ready/.test(document.getElementById('status')?.textContent ?? ''));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  } finally {
    await page.close();
  }
});

test('the benchmark page shows every committed plot and table, as HTML, on a phone\'s width', async () => {
  const page = await newPage(browser, {viewport: {width: 390, height: 844}});
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(e.message));
  try {
    await page.goto(`${url}/examples/benchmarks.html`);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForFunction(() => Array.from(document.images).every(i => i.complete));
    expect(await page.textContent('#status')).toBe('6 op benchmarks and 13 tables.');
    expect(await page.$$eval(
               '#ops img', images => images.map(i => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)))
        .toEqual([true, true, true, true, true, true]);
    // Tables as tables (the markdown was shown raw in a <pre> before), each with its header row.
    expect(await page.$$eval('section.bench-table', sections => sections.map(s => s.querySelectorAll('table thead th').length > 0)))
        .toEqual(new Array(13).fill(true));
    expect(await page.$$eval('pre', pres => pres.length)).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
});

test('a backend the browser lacks falls back visibly, passing over software GPUs', async () => {
  const {page, errors} = await openPage(browser, `${url}/examples/sentiment/index.html?backend=metal`);
  try {
    const outputs = await outputsOf(page);
    expect(outputs.backend).toBe('wasm');
    expect(await page.textContent('#backend')).toContain('metal is not available in this browser: running on wasm.');
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
});

test(
    'with no backend asked for, a page passes over software GPUs (SwiftShader here) for wasm and says why, ' +
        'with a progress bar while it loads',
    async () => {
      const page = await newPage(browser);
      const errors: string[] = [];
      page.on('pageerror', e => errors.push(e.message));
      // Records whether the status line ever held a progress bar.
      await page.addInitScript(() => {
        new MutationObserver(() => {
          if (document.querySelector('#status progress') != null) {
            document.documentElement.dataset.sawProgress = 'true';
          }
        }).observe(document, {childList: true, subtree: true});
      });
      try {
        await page.goto(`${url}/examples/text/index.html`);
        await page.waitForFunction(() => /^ready/.test(document.getElementById('status')?.textContent ?? ''));
        expect(await page.getAttribute('html', 'data-saw-progress')).toBe('true');
        expect(await page.$$eval('#status progress', bars => bars.length)).toBe(0);
        expect(await page.textContent('#backend'))
            .toMatch(/running on wasm \(webgpu and webgl here run in software, .*SwiftShader.*, slower than wasm\)\.$/i);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
