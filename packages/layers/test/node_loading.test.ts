// docs/usage.md's recipe for loading a converted model from files in Node without the converter package (tfjs's
// own file:// handler needs tfjs-node): the same code, on a model saved to a temporary folder.
import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {blockSparseDense} from '@tfjs-blocksparse/layers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function fileHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => tf.io.getModelArtifactsForJSON(
        JSON.parse(fs.readFileSync(modelJson, 'utf8')),
        async manifest =>
            [tf.io.getWeightSpecs(manifest),
             tf.io.concatenateArrayBuffers(manifest.flatMap(
                 group => group.paths.map(p => new Uint8Array(fs.readFileSync(path.join(path.dirname(modelJson), p))).buffer)))])
  };
}

test('a block-sparse model saved to files loads in Node with the recipe\'s handler and predicts the same', async () => {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      blockSparseDense({inputShape: [16], units: 16, density: 0.5, blockSize: 8, seed: 1, activation: 'relu'}),
      tf.layers.dense({units: 4, kernelInitializer: tf.initializers.glorotNormal({seed: 2})})
    ]
  });
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'node-loading-'));
  await model.save(tf.io.withSaveHandler(async artifacts => {
    fs.writeFileSync(path.join(folder, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
    fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs}]
    }));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  const loaded = await tf.loadLayersModel(fileHandler(path.join(folder, 'model.json')));
  const x = tf.randomNormal([3, 16], 0, 1, 'float32', 3);
  expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
  fs.rmSync(folder, {recursive: true});
});
