// How closely converted published models follow the originals (docs/fidelity.md and the README's table): for
// each model of scripts/published_models.cjs, at each density and budget, magnitude pruning against calibrated
// conversion (and calibrated + distilled with --epochs), measured on held-out inputs that calibration never saw,
// with a metric that fits the model's output. Inputs come from pictures shipped in npm packages: the 102 faces of
// @vladmandic/human's assets/screenshot-facematch.jpg (face models: rows 1-4 calibrate, rows 5-6 are held out),
// and seeded crops of photos from @vladmandic/human and @jimp/test-utils (other models: calibration and held-out
// crops come from different photos).
//   node scripts/fidelity.mjs [--models a,b] [--densities 0.5,0.25] [--budgets 0.25] [--calibration N]
//                             [--held-out N] [--backend wasm|cpu] [--epochs N] [--damping F]
//                             [--learning-rate F] [--distill-inputs N] [--batch-size N] [--exclude REGEX] [--int8]
//                             [--block-size 8] [--calibration-pictures DIR] [--held-out-pictures DIR] [--tolerance E]
//   (--distill-inputs: distill on N other crops of the calibration pictures; --int8: the calibrated model
//   measured also with int8 blocks and with float16 blocks, converter.int8Blocks and float16Blocks;
//   --calibration-pictures / --held-out-pictures: the photo models' inputs from the .jpg and .png files under a
//   folder instead, one seeded crop of each file in turn; --tolerance: each conversion under the converter's
//   tolerance, layers kept dense until the output error on a held-out fifth of the calibration inputs is within E)
// Writes bench-results/fidelity.{json,md}.
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
require('@tfjs-blocksparse/backend-cpu');
const converter = require('@tfjs-blocksparse/converter');
const {seededRandom} = require('@tfjs-blocksparse/core');
const {PUBLISHED, packageRoot, writePublishedModel} = require('./published_models.cjs');

const {values: args} = parseArgs({
  options: {
    models: {type: 'string', default: Object.keys(PUBLISHED).join(',')},
    densities: {type: 'string', default: '0.5,0.25'},
    budgets: {type: 'string', default: '0.25'},
    calibration: {type: 'string', default: '256'},
    'held-out': {type: 'string', default: '256'},
    backend: {type: 'string', default: 'wasm'},
    epochs: {type: 'string', default: '0'},
    // Default: the converter's (DEFAULT_DAMPING).
    damping: {type: 'string'},
    'learning-rate': {type: 'string', default: '1e-3'},
    'distill-inputs': {type: 'string', default: '0'},
    'batch-size': {type: 'string', default: '16'},
    exclude: {type: 'string'},
    int8: {type: 'boolean', default: false},
    'block-size': {type: 'string', default: '8'},
    'calibration-pictures': {type: 'string'},
    'held-out-pictures': {type: 'string'},
    tolerance: {type: 'string'},
  }
});
const BLOCK_SIZE = Number(args['block-size']);
// Layers whose names match stay dense (as the CLI's --exclude).
const exclude = args.exclude == null ? undefined : new RegExp(args.exclude);

if (args.backend === 'wasm') {
  require('@tensorflow/tfjs-backend-wasm');
  await require('@tfjs-blocksparse/backend-wasm').blockSparseWasmReady();
}
if (!(await tf.setBackend(args.backend))) {
  throw new Error(`the ${args.backend} backend could not be initialised`);
}

/** A picture from an installed package as a [h, w, 3] tensor of pixels in [0, 1]. */
function picture(pkg, path) {
  return pictureFile(join(packageRoot(pkg), path));
}

/** A .jpg or .png file as a [h, w, 3] tensor of pixels in [0, 1], transparent parts over white. */
function pictureFile(path) {
  return tf.tidy(() => tf.div(converter.readImage(path), 255));
}

/** The .jpg and .png files under a folder, sorted by path. */
function pictureFiles(dir) {
  if (!existsSync(dir)) {
    throw new Error(`fidelity: no folder ${dir} (scripts/fidelity_pictures.mjs makes one)`);
  }
  const files = readdirSync(dir, {recursive: true}).filter(f => /\.(jpe?g|png)$/i.test(f)).sort().map(f => join(dir, f));
  if (files.length === 0) {
    throw new Error(`fidelity: no .jpg or .png file under ${dir}`);
  }
  return files;
}

/** `count` seeded crops of `boxesOf(i)` regions, mirrored at random, resized to [h, w]: a few pictures make many inputs. */
function crops(image, regions, count, [h, w], seed) {
  const random = seededRandom(seed);
  const [H, W] = image.shape;
  const boxes = [];
  for (let k = 0; k < count; k++) {
    const [top, left, height, width] = regions[k % regions.length];
    // Jitter each region by up to a tenth of its size, and mirror half the crops.
    const [dy, dx] = [(random() - 0.5) * 0.2 * height, (random() - 0.5) * 0.2 * width];
    const [y0, x0] = [Math.max(0, top + dy), Math.max(0, left + dx)];
    const [y1, x1] = [Math.min(H, y0 + height), Math.min(W, x0 + width)];
    const mirrored = random() < 0.5;
    boxes.push([y0 / H, (mirrored ? x1 : x0) / W, y1 / H, (mirrored ? x0 : x1) / W]);
  }
  return tf.tidy(() => tf.image.cropAndResize(tf.expandDims(image), boxes, new Array(count).fill(0), [h, w]));
}

/** Random square-ish regions of a picture (a quarter to all of its shorter side). */
function randomRegions(image, count, seed) {
  const random = seededRandom(seed);
  const [H, W] = image.shape;
  return Array.from({length: count}, () => {
    const side = Math.min(H, W) * (0.25 + 0.75 * random());
    return [random() * (H - side), random() * (W - side), side, side];
  });
}

/** The 6 x 17 face tiles of screenshot-facematch.jpg (their labels cropped off): rows 0-3 and rows 4-5. */
function faceRegions(rows) {
  const rowTops = [283, 395, 508, 620, 732, 845];
  return rows.flatMap(r => Array.from({length: 17}, (_, c) => [rowTops[r] + 14, c * 1920 / 17 + 8, 80, 92]));
}

const PHOTOS = {
  calibration: [
    ['@jimp/test-utils', 'images/cops.jpg'], ['@jimp/test-utils', 'images/hands.jpg'], ['@jimp/test-utils', 'images/panoramic.jpg'],
    ['@vladmandic/human', 'assets/samples.jpg']
  ],
  heldOut: [
    ['@jimp/test-utils', 'images/fillbytes.jpg'], ['@vladmandic/human', 'assets/screenshot-vrm.jpg'],
    ['@vladmandic/human', 'assets/screenshot-faceid.jpg']
  ],
};

/** Calibration and held-out inputs for a model: faces or photos, as the model's preprocessing wants them. */
function inputsFor(spec, count, part, seed) {
  const [h, w] = spec.inputShape;
  const folder = args[part === 'calibration' ? 'calibration-pictures' : 'held-out-pictures'];
  let pixels;
  if (spec.inputs === 'faces') {
    const image = picture('@vladmandic/human', 'assets/screenshot-facematch.jpg');
    pixels = crops(image, faceRegions(part === 'calibration' ? [0, 1, 2, 3] : [4, 5]), count, [h, w], seed);
    image.dispose();
  } else if (folder != null) {
    // One seeded crop of each picture in turn: as many distinct pictures as the folder holds. Each picture is
    // decoded once for all its crops; the crops stay in input order.
    const files = pictureFiles(folder);
    const parts = new Array(count);
    files.slice(0, count).forEach((file, i) => {
      const image = pictureFile(file);
      for (let k = i; k < count; k += files.length) {
        parts[k] = crops(image, randomRegions(image, 1, seed * 1000 + k), 1, [h, w], seed * 1000 + k + 500);
      }
      image.dispose();
    });
    pixels = tf.concat(parts);
    tf.dispose(parts);
  } else {
    // Fewer inputs than photos: the first `count` photos.
    const sources = PHOTOS[part].slice(0, count);
    const parts = sources.map(([pkg, path], i) => {
      const image = picture(pkg, path);
      const n = Math.floor(count / sources.length) + (i < count % sources.length ? 1 : 0);
      const out = crops(image, randomRegions(image, n, seed + i), n, [h, w], seed + 10 + i);
      image.dispose();
      return out;
    });
    pixels = tf.concat(parts);
    tf.dispose(parts);
  }
  return tf.tidy(() => {
    if (spec.preprocess === 'gray') {
      // Human's emotion model: luma in [-1, 1].
      return tf.sub(tf.mul(tf.sum(tf.mul(pixels, [0.2989, 0.587, 0.114]), -1, true), 2), 1);
    }
    if (spec.preprocess === 'bytes') {
      return tf.cast(tf.round(tf.mul(pixels, 255)), 'int32');
    }
    return tf.clone(pixels);
  });
}

/** Outputs of a model on inputs, one at a time where its graph takes a fixed batch of one; each output concatenated. */
function outputsOf(model, inputs) {
  const batch = model.inputs[0].shape?.[0] > 0 ? model.inputs[0].shape[0] : 16;
  const parts = [];
  for (let i = 0; i < inputs.shape[0]; i += batch) {
    const x = tf.slice(inputs, i, Math.min(batch, inputs.shape[0] - i));
    const y = model.predict(x.dtype === model.inputs[0].dtype ? x : tf.cast(x, model.inputs[0].dtype));
    parts.push(Array.isArray(y) ? y : [y]);
    x.dispose();
  }
  return parts[0].map((_, k) => tf.concat(parts.map(p => p[k])));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** |actual - expected| / |expected| over all the outputs. */
function relativeError(actual, expected) {
  return tf.norm(tf.sub(actual, expected)).dataSync()[0] / tf.norm(expected).dataSync()[0];
}

/** The fidelity of converted outputs to the original's, by what the model outputs. */
function fidelity(spec, expected, actual) {
  return tf.tidy(() => {
    const top1 = (a, b) => tf.mean(tf.cast(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1)), 'float32')).dataSync()[0];
    switch (spec.output) {
      case 'classes':
        return {'top-1 agreement': top1(actual[0], expected[0]), 'probability error': relativeError(actual[0], expected[0])};
      case 'faceres': {
        // Outputs, told apart by size: gender [n, 1], descriptor [n, 1024], age [n, 100].
        const byWidth = width => [expected, actual].map(outputs => outputs.find(t => t.shape[t.rank - 1] === width));
        const [gender, descriptor, age] = [1, 1024, 100].map(byWidth);
        // A descriptor that collapsed to zeros has cosine 0 with anything.
        const unit = t => tf.div(t, tf.maximum(tf.norm(t, 'euclidean', -1, true), 1e-12));
        const cosine = tf.sum(tf.mul(unit(descriptor[0]), unit(descriptor[1])), -1);
        const sameGender = tf.equal(tf.greater(gender[0], 0.5), tf.greater(gender[1], 0.5));
        return {
          'descriptor cosine (median)': median(cosine.dataSync()),
          'gender agreement': tf.mean(tf.cast(sameGender, 'float32')).dataSync()[0],
          'age top-1 agreement': top1(age[1], age[0]),
        };
      }
      case 'score':
        return {'relative error': relativeError(actual[0], expected[0])};
      case 'keypoints': {
        // [n, 1, 17, 3]: y, x (fractions of the image side), score.
        const shift = tf.norm(
            tf.sub(tf.slice(actual[0], [0, 0, 0, 0], [-1, -1, -1, 2]), tf.slice(expected[0], [0, 0, 0, 0], [-1, -1, -1, 2])), 'euclidean',
            -1);
        // Keypoints the original model finds (score > 0.3, as MoveNet's demos draw them); the others are guesses on
        // pictures where that body part is not in view, which move with any change.
        const scores = tf.slice(expected[0], [0, 0, 0, 2], [-1, -1, -1, 1]).dataSync();
        const found = Array.from(shift.dataSync()).filter((_, k) => scores[k] > 0.3);
        return {
          'keypoint shift (median, of the image side)': median(shift.dataSync()),
          'share of keypoints found (original score > 0.3)': found.length / scores.length,
          'their shift (median)': found.length > 0 ? median(found) : NaN
        };
      }
      default:
        throw new Error(`unknown output kind ${spec.output}`);
    }
  });
}

const rows = [];
const names = args.models.split(',');
for (const name of names) {
  const spec = PUBLISHED[name];
  const path = writePublishedModel(name, join(tmpdir(), 'fidelity-published'));
  if (path == null) {
    console.log(`${name}: package ${spec.package} is not installed, skipped`);
    continue;
  }
  const {model: original} = await converter.readModel(path);
  const calibration = inputsFor(spec, Number(args.calibration), 'calibration', 1);
  const heldOut = inputsFor(spec, Number(args['held-out']), 'heldOut', 2);
  const expected = outputsOf(original, heldOut);
  // What top-1 agreement is to be set against: a model that always gave the original's commonest answer on the
  // held-out inputs would agree this often.
  let commonestClass;
  if (spec.output === 'classes') {
    const counts = tf.tidy(() => tf.bincount(tf.argMax(expected[0], -1), [], expected[0].shape[1]).arraySync());
    commonestClass = Math.max(...counts) / heldOut.shape[0];
    console.log(`${name}: the original's commonest class on the ${heldOut.shape[0]} held-out inputs is its answer on ${
        commonestClass.toFixed(3)} of them (classes: ${counts.join(', ')})`);
  }
  const settings = [
    ...args.densities.split(',').filter(Boolean).map(d => ({density: Number(d)})),
    ...args.budgets.split(',').filter(Boolean).map(b => ({budget: Number(b)}))
  ];
  for (const setting of settings) {
    const row = {
      model: name,
      format: spec.format,
      ...setting,
      calibrationInputs: calibration.shape[0],
      heldOutInputs: heldOut.shape[0],
      ...(commonestClass != null && {heldOutCommonestClass: commonestClass})
    };
    const measure = converted => {
      const actual = outputsOf(converted, heldOut);
      const result = fidelity(spec, expected, actual);
      tf.dispose(actual);
      return result;
    };
    let start = performance.now();
    const {model: calibrated, report} = await converter.sparsifyModel(original, {
      density: setting.density ?? 1,
      budget: setting.budget,
      blockSize: BLOCK_SIZE,
      exclude,
      tolerance: args.tolerance == null ? undefined : Number(args.tolerance),
      calibrate: {inputs: calibration, damping: args.damping == null ? undefined : Number(args.damping)}
    });
    row.calibrateSeconds = (performance.now() - start) / 1000;
    row.converted = `${report.totals.converted} of ${report.layers.length}`;
    row.multiplyAdds = report.totals.multiplyAdds;
    // Under a budget: which conversion was kept (densities per layer or one for all) and both output errors.
    row.budgetChoice = report.budget;
    // Under a tolerance: the output errors on the held-out fifth of the calibration inputs as converted and as kept,
    // the layers kept dense.
    row.tolerance = report.tolerance;
    const {model: magnitude} = await converter.sparsifyModel(original, {
      density: setting.density ?? 1,
      densities: converter.convertedDensities(report),
      blockSize: BLOCK_SIZE,
      exclude,
      keepDense: report.tolerance?.keptDense,
    });
    row.magnitude = measure(magnitude);
    row.calibrated = measure(calibrated);
    magnitude.dispose();
    if (args.int8) {
      const {model: int8} = await converter.int8Blocks(calibrated);
      row.calibratedInt8 = measure(int8);
      int8.dispose();
      const {model: half} = await converter.float16Blocks(calibrated);
      row.calibratedFloat16 = measure(half);
      half.dispose();
    }
    if (Number(args.epochs) > 0) {
      start = performance.now();
      // More crops of the calibration pictures than calibration used: unlabelled inputs are cheap, and a few
      // hundred overfit.
      const distillInputs =
          Number(args['distill-inputs']) > 0 ? inputsFor(spec, Number(args['distill-inputs']), 'calibration', 3) : calibration;
      const {model: distilled, report: d} = await converter.distill(original, calibrated, {
        inputs: distillInputs,
        epochs: Number(args.epochs),
        batchSize: Number(args['batch-size']),
        seed: 0,
        learningRate: Number(args['learning-rate']),
        onEpoch: (e, n, logs) => console.log(
            `  ${name} distill epoch ${e}/${n}: held-out loss ${logs.heldOutLoss.toExponential(2)}, agreement ${logs.agreement.toFixed(3)}`)
      });
      row.distillSeconds = (performance.now() - start) / 1000;
      row.distillInputs = distillInputs.shape[0];
      if (distillInputs !== calibration) {
        distillInputs.dispose();
      }
      row.distillEpochs = d.epochs;
      row.distillLoss = [d.lossBefore, d.lossAfter];
      row.distilled = measure(distilled);
      distilled.dispose();
    } else {
      calibrated.dispose();
    }
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  tf.dispose([calibration, heldOut, ...expected]);
  original.dispose();
}

const setting = r => baseSetting(r) +
    (r.tolerance == null ? '' :
                           `, tolerance ${r.tolerance.tolerance}: ${r.tolerance.keptDense.length} kept dense (output error on the ${
                               r.tolerance.heldOutInputs} calibration inputs held out ${r.tolerance.outputError.converted.toFixed(3)} -> ${
                               r.tolerance.outputError.kept.toFixed(3)})`);
const baseSetting = r => r.budget != null ?
    `budget ${r.budget} (kept ${
        r.budgetChoice.kept === 'uniform' ? `${r.budget} for all` : 'densities per layer'}; calibration output error ${
        r.budgetChoice.outputError.perLayer.toFixed(3)} per layer, ${r.budgetChoice.outputError.uniform.toFixed(3)} for all)` :
    r.density === 1 ? '1' :
                      `1/${1 / r.density}`;
const values = m => m == null ? '-' : Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
const table = [
  `Fidelity of converted published models on held-out inputs (blocks ${BLOCK_SIZE}x${BLOCK_SIZE}; ${args.backend} backend, Node ${
      process.version}; ` +
      `\`node scripts/fidelity.mjs --models ${args.models} --densities ${args.densities} --budgets ${args.budgets} --calibration ${
          args.calibration} ` +
      `--held-out ${args['held-out']} --backend ${args.backend} --epochs ${args.epochs}` +
      (args.damping == null ? '' : ` --damping ${args.damping}`) +
      (Number(args.epochs) > 0 ?
           ` --learning-rate ${args['learning-rate']} --distill-inputs ${args['distill-inputs']} --batch-size ${args['batch-size']}` :
           '') +
      (args.exclude == null ? '' : ` --exclude '${args.exclude}'`) + (args.int8 ? ' --int8' : '') +
      (args.tolerance == null ? '' : ` --tolerance ${args.tolerance}`) + (BLOCK_SIZE === 8 ? '' : ` --block-size ${BLOCK_SIZE}`) +
      (args['calibration-pictures'] == null ? '' : ` --calibration-pictures ${args['calibration-pictures']}`) +
      (args['held-out-pictures'] == null ? '' : ` --held-out-pictures ${args['held-out-pictures']}`) + '`)',
  '',
  `| model | density | converted | magnitude pruning | calibrated |${
      args.int8 ? ' calibrated, int8 blocks | calibrated, float16 blocks |' :
                  ''} calibrated + distilled | calibration time | multiply-adds kept |`,
  `|---|---|---|---|---|${args.int8 ? '---|---|' : ''}---|---|---|`,
  ...rows.map(
      r => `| ${r.model} (${r.format}) | ${setting(r)} | ${r.converted} | ${values(r.magnitude)} | ${values(r.calibrated)} | ` +
          `${args.int8 ? `${values(r.calibratedInt8)} | ${values(r.calibratedFloat16)} | ` : ''}${values(r.distilled)} | ${
               r.calibrateSeconds.toFixed(0)} s (${r.calibrationInputs} inputs) | ` +
          `${r.multiplyAdds == null ? '-' : `${(100 * r.multiplyAdds.after / r.multiplyAdds.before).toFixed(1)}%`} |`),
].join('\n');
mkdirSync('bench-results', {recursive: true});
writeFileSync('bench-results/fidelity.json', JSON.stringify({date: new Date().toISOString(), args, rows}, null, 2));
writeFileSync('bench-results/fidelity.md', table + '\n');
console.log('\n' + table + '\nWrote bench-results/fidelity.json and .md');
process.exit(0);
