import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {blockSparseConv2D, blockSparseDense, blockSparseLSTMCell} from '@tfjs-blocksparse/layers';

import {seededValues} from './random';

export interface LayersCheckResult {
  initialLoss: number;
  finalLoss: number;
  /** Largest |prediction before save - prediction after load|: 0 when the round trip is exact. */
  reloadDifference: number;
}

/**
 * Every block-sparse layer in one model (conv → mLSTM over the rows →
 * dense), trained with model.fit and saved and loaded through tfjs's
 * serialization, on whatever backend is active.
 */
export async function layersCheck(epochs: number): Promise<LayersCheckResult> {
  const model = tfl.sequential({
    layers: [
      blockSparseConv2D(
          {inputShape: [6, 6, 8], filters: 8, kernelSize: 3, padding: 'same', blockSize: 4, density: 0.5, activation: 'relu'}),
      tfl.layers.reshape({targetShape: [6, 48]}),
      tfl.layers.rnn({cell: blockSparseLSTMCell({units: 8, blockSize: 4, density: 0.5, multiplicative: true, layoutKind: 'smallWorld'})}),
      blockSparseDense({units: 4, blockSize: 4, density: 0.5})
    ]
  });
  model.compile({optimizer: tf.train.adam(0.02), loss: 'meanSquaredError'});
  const x = tf.tensor(seededValues(16 * 6 * 6 * 8, 31), [16, 6, 6, 8]);
  const y = tf.tensor(seededValues(16 * 4, 32), [16, 4]);
  try {
    const history = await model.fit(x, y, {epochs, batchSize: 8, verbose: 0, shuffle: false});
    const losses = history.history.loss as number[];
    let artifacts: tf.io.ModelArtifacts|undefined;
    await model.save(tf.io.withSaveHandler(async a => {
      artifacts = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    const loaded =
        await tfl.loadLayersModel(tf.io.fromMemory({...artifacts!, modelTopology: JSON.parse(JSON.stringify(artifacts!.modelTopology))}));
    const before = model.predict(x) as tf.Tensor;
    const after = loaded.predict(x) as tf.Tensor;
    const difference = tf.max(tf.abs(tf.sub(before, after)));
    const reloadDifference = (await difference.data())[0];
    tf.dispose([before, after, difference]);
    loaded.dispose();
    return {initialLoss: losses[0], finalLoss: losses[losses.length - 1], reloadDifference};
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}
