// tfjs models that other people publish inside npm packages, as the
// model.json + weight files that tensorflowjs_converter makes, for the
// converter's tests, README tables and fidelity measurements. nsfwjs (MIT)
// ships its models as browserify modules: model.min.js exports the model.json
// object and each group1-shardNofM.min.js a base64 string of that weight file;
// they are written out. @vladmandic/human (MIT) ships model.json files as they
// are. `inputs` says what a model looks at (photos, or faces), `preprocess`
// how pixels in [0, 1] become its input, `output` how its fidelity is measured
// (scripts/fidelity.mjs); `tested`: converted by published_models.test.ts (`converts`: its layers or nodes that
// 8x8 blocks fit); `bench`: timed by
// `npm run bench -- --models` (the nsfwjs ones also tabulated by scripts/convert_published.mjs).
const {existsSync, mkdirSync, writeFileSync} = require('fs');
const {join, relative} = require('path');

const PUBLISHED = {
  'nsfwjs-mobilenet_v2': {
    package: 'nsfwjs',
    dir: 'dist/models/mobilenet_v2',
    format: 'layers-model',
    inputShape: [224, 224, 3],
    tested: true,
    bench: true,
    converts: 36,
    inputs: 'photos',
    output: 'classes',
    what: 'nsfwjs MobileNetV2 (Keras Layers model, uint8 weights), 224x224x3 -> 5 classes',
  },
  'nsfwjs-mobilenet_v2_mid': {
    package: 'nsfwjs',
    dir: 'dist/models/mobilenet_v2_mid',
    format: 'graph-model',
    inputShape: [224, 224, 3],
    tested: true,
    bench: true,
    converts: 34,
    inputs: 'photos',
    output: 'classes',
    what: 'nsfwjs MobileNetV2 "mid" (TF Hub graph model: _FusedConv2D, _FusedMatMul; uint8 weights), 224x224x3 -> 5 classes',
  },
  'nsfwjs-inception_v3': {
    package: 'nsfwjs',
    dir: 'dist/models/inception_v3',
    format: 'layers-model',
    inputShape: [299, 299, 3],
    inputs: 'photos',
    output: 'classes',
    what: 'nsfwjs InceptionV3 (Keras Layers model, uint8 weights), 299x299x3 -> 5 classes',
  },
  'human-faceres': {
    package: '@vladmandic/human',
    modelJson: 'models/faceres.json',
    format: 'graph-model',
    inputShape: [224, 224, 3],
    tested: true,
    bench: true,
    converts: 14,
    inputs: 'faces',
    output: 'faceres',
    what: 'Human face description (graph model, float16 weights), 224x224x3 face -> 1024-d descriptor, age, gender',
  },
  'human-emotion': {
    package: '@vladmandic/human',
    modelJson: 'models/emotion.json',
    format: 'graph-model',
    inputShape: [64, 64, 1],
    inputs: 'faces',
    preprocess: 'gray',
    output: 'classes',
    what: 'Human emotion (mini-Xception graph model, float32), 64x64 gray face -> 7 classes',
  },
  'human-antispoof': {
    package: '@vladmandic/human',
    modelJson: 'models/antispoof.json',
    format: 'graph-model',
    inputShape: [128, 128, 3],
    inputs: 'faces',
    output: 'score',
    what: 'Human anti-spoofing (graph model, float16 weights), 128x128x3 face -> real/fake score',
  },
  'human-movenet-lightning': {
    package: '@vladmandic/human',
    modelJson: 'models/movenet-lightning.json',
    format: 'graph-model',
    inputShape: [192, 192, 3],
    bench: true,
    inputs: 'photos',
    preprocess: 'bytes',
    output: 'keypoints',
    what: 'Human MoveNet Lightning pose (graph model, int32 pixels), 192x192x3 -> 17 keypoints',
  },
  'human-iris': {
    package: '@vladmandic/human',
    modelJson: 'models/iris.json',
    format: 'graph-model',
    inputShape: [64, 64, 3],
    bench: true,
    inputs: 'faces',
    output: 'values',
    what: 'Human iris landmarks (MediaPipe graph model, prelu activations, float32), 64x64x3 eye crop -> 71 eye and 5 iris points',
  },
  'human-facemesh': {
    package: '@vladmandic/human',
    modelJson: 'models/facemesh.json',
    format: 'graph-model',
    inputShape: [192, 192, 3],
    bench: true,
    inputs: 'faces',
    output: 'values',
    what: 'Human face mesh (MediaPipe graph model, prelu activations, float16 weights), 192x192x3 face -> 468 3-d points',
  },
};

/** Directory of a package's installed files, or null when it is not installed. */
function packageRoot(name) {
  // Not require.resolve: packages with an "exports" map hide their package.json and models.
  for (const paths of require.resolve.paths(name) ?? []) {
    if (existsSync(join(paths, name, 'package.json'))) {
      return join(paths, name);
    }
  }
  return null;
}

/**
 * Writes published model `name` to outDir/name/model.json (+ weight files)
 * and returns that model.json's path; null when its package is not installed.
 */
function writePublishedModel(name, outDir) {
  const spec = PUBLISHED[name];
  const root = packageRoot(spec.package);
  if (root == null) {
    return null;
  }
  if (spec.modelJson != null) {
    return join(root, spec.modelJson);
  }
  const target = join(outDir, name);
  const modelPath = join(target, 'model.json');
  if (existsSync(modelPath)) {
    return modelPath;
  }
  const source = join(root, spec.dir);
  const modelJson = require(join(source, 'model.min.js'));
  mkdirSync(target, {recursive: true});
  for (const path of modelJson.weightsManifest.flatMap(group => group.paths)) {
    writeFileSync(join(target, path), Buffer.from(require(join(source, `${path}.min.js`)), 'base64'));
  }
  writeFileSync(modelPath, JSON.stringify(modelJson));
  return modelPath;
}

/** `path` relative to the repository's root, where the benchmark page's server serves it from. */
function repositoryPath(path) {
  return relative(join(__dirname, '..'), path);
}

module.exports = {
  PUBLISHED,
  packageRoot,
  repositoryPath,
  writePublishedModel
};
