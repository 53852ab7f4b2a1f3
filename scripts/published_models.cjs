// tfjs models that other people publish inside npm packages, written out as
// the model.json + weight files that tensorflowjs_converter makes, for the
// converter's tests and README table. nsfwjs (MIT) ships its models as
// browserify modules: model.min.js exports the model.json object and each
// group1-shardNofM.min.js a base64 string of that weight file.
const {existsSync, mkdirSync, writeFileSync} = require('fs');
const {join} = require('path');

const PUBLISHED = {
  'nsfwjs-mobilenet_v2': {
    package: 'nsfwjs', dir: 'dist/models/mobilenet_v2', format: 'layers-model', inputShape: [224, 224, 3],
    what: 'nsfwjs MobileNetV2 (Keras Layers model, uint8 weights), 224x224x3 -> 5 classes',
  },
  'nsfwjs-mobilenet_v2_mid': {
    package: 'nsfwjs', dir: 'dist/models/mobilenet_v2_mid', format: 'graph-model', inputShape: [224, 224, 3],
    what: 'nsfwjs MobileNetV2 "mid" (TF Hub graph model: _FusedConv2D, _FusedMatMul; uint8 weights), 224x224x3 -> 5 classes',
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

module.exports = {PUBLISHED, writePublishedModel};
