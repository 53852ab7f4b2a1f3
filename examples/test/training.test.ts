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
  sentiment: {variants: ['dense', 'sparse'], metric: 'testAccuracy'},
  text: {variants: ['dense', 'sparse'], metric: 'heldOutBitsPerCharacter'},
  image: {variants: ['dense', 'sparse'], metric: 'testBitsPerPixel'},
};

describe.each(Object.keys(EXPECTED))('examples/%s/train.mjs', example => {
  test('--quick trains every variant, its held-out loss decreases, and it writes the results', () => {
    const {status, stdout, stderr, out} = train(example, '--quick');
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

test('a bad flag is refused with a message', () => {
  const bad = train('sentiment', '--steps', '0');
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('--steps must be a positive integer, got 0');
  const unknown = train('text', '--variants', 'dense,huge');
  expect(unknown.status).not.toBe(0);
  expect(unknown.stderr).toContain('unknown variant huge');
});
