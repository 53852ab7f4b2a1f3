// Each example's Node training script on a small budget: --quick makes the
// script itself fail unless every variant's held-out loss went down.
import {spawnSync} from 'child_process';
import {mkdtempSync, readFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

const EXAMPLES = join(__dirname, '..');

function train(example: string, ...flags: string[]) {
  const out = mkdtempSync(join(tmpdir(), `blocksparse-${example}-`));
  const run = spawnSync(process.execPath, [join(EXAMPLES, example, 'train.mjs'), '--out', out, ...flags], {encoding: 'utf8'});
  return {...run, out};
}

const EXPECTED: Record<string, {variants: string[], metric: string}> = {
  sentiment: {variants: ['big', 'sparse', 'dense'], metric: 'testAccuracy'},
  text: {variants: ['big', 'sparse', 'dense'], metric: 'heldOutBitsPerCharacter'},
  image: {variants: ['big', 'sparse', 'dense'], metric: 'testBitsPerPixel'},
};

/** Each example's --quick output folder, for the image judge below. */
const quickRuns: Record<string, string> = {};

describe.each(Object.keys(EXPECTED))('examples/%s/train.mjs', example => {
  test('--quick trains every variant, its held-out loss decreases, and it writes the results', () => {
    const {status, stdout, stderr, out} = train(example, '--quick');
    quickRuns[example] = out;
    expect(stderr).not.toMatch(/Error/);
    expect(status).toBe(0);
    const {variants, metric} = EXPECTED[example];
    for (const variant of variants) {
      expect(stdout).toMatch(new RegExp(`${example} ${variant}: held-out loss [0-9.]+ -> [0-9.]+`));
    }
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(Object.keys(results.variants)).toEqual(variants);
    for (const variant of variants) {
      expect(Number.isFinite(results.variants[variant][metric])).toBe(true);
      expect(results.variants[variant].params).toBeGreaterThan(0);
    }
  });
});

test('examples/image/evaluate.mjs judges samples: real test digits pass, a barely trained model\'s scribbles do not', () => {
  const out = quickRuns.image ?? train('image', '--quick').out;
  // The big model's 100 samples would take most of the test's time; the two small models show the judge works.
  const run = spawnSync(
      process.execPath, [join(EXAMPLES, 'image', 'evaluate.mjs'), '--out', out, '--variants', 'sparse,dense'], {encoding: 'utf8'});
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  const samples = JSON.parse(readFileSync(join(out, 'samples.json'), 'utf8'));
  expect(samples.samples).toBe(100);
  expect(samples.digitLikeDistance).toBeGreaterThan(0);
  expect(samples.testDigitsDigitLike).toBeGreaterThanOrEqual(0.9);
  expect(samples.classifierTestAccuracy).toBeGreaterThan(0.85);
  expect(Object.keys(samples.variants)).toEqual(['sparse', 'dense']);
  for (const variant of ['sparse', 'dense']) {
    const {digitLike, digitLikeByClass} = samples.variants[variant];
    expect(digitLike).toBeLessThan(0.2);
    expect(digitLikeByClass.reduce((a: number, b: number) => a + b, 0)).toBe(Math.round(digitLike * 100));
  }
});

test('a bad flag is refused with a message', () => {
  const bad = train('sentiment', '--steps', '0');
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('--steps must be a positive integer, got 0');
  const unknown = train('text', '--variants', 'dense,huge');
  expect(unknown.status).not.toBe(0);
  expect(unknown.stderr).toContain('unknown variant huge');
  const sparseAlone = train('image', '--quick', '--variants', 'sparse');
  expect(sparseAlone.status).not.toBe(0);
  expect(sparseAlone.stderr)
      .toContain(`the sparse model is cut from the trained big model: train that first (--variants big) into ${sparseAlone.out}`);
});
