// The table of published models (docs/converter.md) through the converter: for each
// model of scripts/published_models.cjs whose npm package is installed, at
// densities 1, 1/2 and 1/4 of 8x8 blocks: layers/nodes converted, parameters,
// weight bytes (float32 and uint8 files), how far the converted model's
// outputs are from the original's, and top-1 agreement with the original
// before and after distill. Runs on the cpu backend in Node.
//   node scripts/convert_published.mjs [--inputs DIR|generated] [--crops N] [--count N] [--epochs N]
// --crops N: each image of DIR gives N random crops (a quarter to all of the
// picture, some mirrored), so that a few photos make a set of inputs.
// --epochs 0: no distill (sizes and equality only, in a minute or two).
// Writes bench-results/published.{json,md}.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
require('@tfjs-blocksparse/backend-cpu');
const converter = require('@tfjs-blocksparse/converter');
const {seededRandom, shuffleInPlace} = require('@tfjs-blocksparse/core');
const {PUBLISHED, writePublishedModel} = require('./published_models.cjs');

const {values: args} = parseArgs({
  options: {
    inputs: {type: 'string', default: 'generated'},
    crops: {type: 'string', default: '0'},
    count: {type: 'string', default: '40'},
    epochs: {type: 'string', default: '3'},
  }
});
const BLOCK_SIZE = 8;
const DENSITIES = [1, 1 / 2, 1 / 4];

await tf.setBackend('cpu');
const work = mkdtempSync(join(tmpdir(), 'published-'));

/** The weight bytes a model takes on disk when saved with `quantize` (undefined: float32). */
async function savedBytes(model, name, quantize) {
  const dir = join(work, `${name}-${quantize ?? 'float32'}-${Date.now()}`);
  const result = await model.save(converter.saveTo(dir, {quantize: quantize == null ? undefined : () => quantize}));
  rmSync(dir, {recursive: true});
  return result.modelArtifactsInfo.weightDataBytes;
}

function relativeError(actual, expected) {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] / tf.max(tf.abs(expected)).dataSync()[0]);
}

/** `perImage` random crops of each image in `dir`, resized to [h, w, c], shuffled (seeded). */
function randomCrops(dir, [h, w, c], perImage) {
  const random = seededRandom(1);
  return tf.tidy(() => {
    const images = converter.readInputs(dir, {shape: [2 * h, 2 * w, c]});
    const boxes = [];
    const indices = [];
    for (let i = 0; i < images.shape[0]; i++) {
      for (let k = 0; k < perImage; k++) {
        const size = 0.5 + 0.5 * random();
        const [top, left] = [random() * (1 - size), random() * (1 - size)];
        const mirrored = random() < 0.5;
        boxes.push([top, mirrored ? left + size : left, top + size, mirrored ? left : left + size]);
        indices.push(i);
      }
    }
    const crops = tf.image.cropAndResize(images, boxes, indices, [h, w]);
    return tf.gather(crops, shuffleInPlace(boxes.map((_, i) => i), random));
  });
}

const rows = [];
// The nsfwjs models: the table of docs/converter.md (Human's are measured by scripts/fidelity.mjs).
for (const [name, spec] of Object.entries(PUBLISHED).filter(([, spec]) => spec.bench && spec.package === 'nsfwjs')) {
  const path = writePublishedModel(name, join(work, 'published'));
  if (path == null) {
    console.log(`${name}: package ${spec.package} is not installed, skipped`);
    continue;
  }
  const {artifacts, model: original} = await converter.readModel(path);
  const inputs = Number(args.crops) > 0 ? randomCrops(args.inputs, spec.inputShape, Number(args.crops)) :
                                          converter.readInputs(args.inputs, {shape: spec.inputShape, count: Number(args.count)});
  const probe = tf.slice(inputs, 0, 4);
  const expected = original.predict(probe);
  for (const density of DENSITIES) {
    const start = performance.now();
    const {model: sparse, report} = await converter.sparsifyModel(original, {density, blockSize: BLOCK_SIZE});
    const row = {
      model: name,
      format: spec.format,
      density,
      blockSize: BLOCK_SIZE,
      converted: report.totals.converted,
      candidates: report.layers.length,
      paramsBefore: report.model.paramsBefore,
      paramsAfter: report.model.paramsAfter,
      bytesOriginal: converter.weightBytes(artifacts.weightSpecs),
      originalDtype: artifacts.weightSpecs[0].quantization?.dtype ?? 'float32',
      bytesFloat32: await savedBytes(sparse, name),
      bytesUint8: await savedBytes(sparse, name, 'uint8'),
      relativeError: relativeError(sparse.predict(probe), expected),
      convertSeconds: (performance.now() - start) / 1000,
    };
    if (density < 1 && Number(args.epochs) > 0) {
      const distillStart = performance.now();
      const {model: distilled, report: d} = await converter.distill(original, sparse, {
        inputs,
        epochs: Number(args.epochs),
        batchSize: 8,
        metric: 'top-1 agreement',
        onEpoch: (e, n, logs) => console.log(`  ${name} 1/${1 / density} distill epoch ${e}/${n}: held-out loss ${
            logs.heldOutLoss.toExponential(2)}, agreement ${logs.agreement.toFixed(3)}`)
      });
      Object.assign(row, {
        agreementBefore: d.before,
        agreementAfter: d.after,
        lossBefore: d.lossBefore,
        lossAfter: d.lossAfter,
        distillEpochs: d.epochs,
        trainInputs: d.trainInputs,
        heldOutInputs: d.heldOutInputs,
        distillSeconds: (performance.now() - distillStart) / 1000
      });
      distilled.dispose();
    } else {
      sparse.dispose();
    }
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  tf.dispose([inputs, probe, expected]);
  original.dispose();
}
rmSync(work, {recursive: true, force: true});

const mib = bytes => `${(bytes / 2 ** 20).toFixed(2)}`;
const fraction = d => d === 1 ? '1' : `1/${1 / d}`;
const table = [
  `Published models through the converter (blocks ${BLOCK_SIZE}x${BLOCK_SIZE}, magnitude layout; cpu backend, Node ${process.version}; ` +
      `distill on ${args.crops > 0 ? `${args.crops} crops of each image in ${args.inputs}` : `${args.inputs} inputs`}, ${
          args.epochs} epochs; ` +
      `\`node scripts/convert_published.mjs --inputs ${args.inputs} --crops ${args.crops} --count ${args.count} --epochs ${args.epochs}\`)`,
  '',
  '| model | density | converted | params | weight files MiB: original -> float32 / uint8 | max rel. error vs original | top-1 agreement before -> after distill | held-out KL before -> after |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
      r => `| ${r.model} (${r.format}) | ${fraction(r.density)} | ${r.converted} of ${r.candidates} | ${r.paramsBefore} -> ${
               r.paramsAfter} | ` +
          `${mib(r.bytesOriginal)} (${r.originalDtype}) -> ${mib(r.bytesFloat32)} / ${mib(r.bytesUint8)} | ${
               r.relativeError.toExponential(1)} | ` +
          `${
               r.agreementBefore == null ?
                   '-' :
                   `${r.agreementBefore.toFixed(2)} -> ${r.agreementAfter.toFixed(2)} (${r.heldOutInputs} held out)`} | ` +
          `${r.lossBefore == null ? '-' : `${r.lossBefore.toExponential(1)} -> ${r.lossAfter.toExponential(1)}`} |`),
].join('\n');
mkdirSync('bench-results', {recursive: true});
writeFileSync('bench-results/published.json', JSON.stringify({date: new Date().toISOString(), args, rows}, null, 2));
writeFileSync('bench-results/published.md', table + '\n');
console.log('\n' + table + '\nWrote bench-results/published.json and .md');
process.exit(0);
