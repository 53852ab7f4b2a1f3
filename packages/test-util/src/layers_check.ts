import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {dequantizeBlocks, quantizeBlocks} from '@tfjs-blocksparse/core';
import {BlockSparseConv2D, blockSparseConv2D, BlockSparseDense, blockSparseDense, blockSparseLSTMCell} from '@tfjs-blocksparse/layers';

import {seededValues} from './random';

export interface LayersCheckResult {
  initialLoss: number;
  finalLoss: number;
  /** Largest |prediction before save - prediction after load|: 0 when the round trip is exact. */
  reloadDifference: number;
  /**
   * With int8 blocks (where the backend has their kernels): the trained
   * model with its conv and dense kernels as int8 blocks (kernelDtype
   * 'int8', quantizeBlocks) against the same model with those blocks
   * dequantized to float32 (max |difference| over max |prediction|), and the
   * int8 model's save/load round trip as reloadDifference.
   */
  int8?: {predictionError: number, reloadDifference: number};
}

/** The largest |prediction before save - after load| of a model saved and loaded through tfjs's serialization. */
async function roundTripDifference(model: tfl.LayersModel, x: tf.Tensor): Promise<number> {
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
  const result = (await difference.data())[0];
  tf.dispose([before, after, difference]);
  loaded.dispose();
  return result;
}

/**
 * The model with its block-sparse conv and dense layers' kernels as int8
 * blocks (a twin from its JSON with kernel_dtype 'int8', as the converter's
 * int8Blocks writes it, and the same weights), and the original's kernels
 * set to what those int8 blocks stand for.
 */
async function int8Twin(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const topology = model.toJSON(undefined, false) as {config: {layers: Array<{class_name: string, config: Record<string, unknown>}>}};
  for (const layer of topology.config.layers) {
    if (layer.class_name === BlockSparseConv2D.className || layer.class_name === BlockSparseDense.className) {
      layer.config.kernel_dtype = 'int8';
    }
  }
  const twin = await tfl.models.modelFromJSON({modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology']});
  for (const [i, layer] of model.layers.entries()) {
    if (layer instanceof BlockSparseConv2D || layer instanceof BlockSparseDense) {
      const [kernel, bias] = layer.getWeights();
      // quantizeBlocks reads the blocks synchronously, which webgpu in Node cannot do from the GPU: a copy from the CPU.
      const blocks = tf.tensor(await kernel.data(), kernel.shape);
      const int8 = quantizeBlocks(blocks, layer.layout!);
      const dequantized = dequantizeBlocks(int8, layer.layout!);
      twin.layers[i].setWeights([int8.scales, bias, int8.w]);
      layer.setWeights([dequantized, bias]);
      tf.dispose([blocks, int8.w, int8.scales, dequantized]);
    } else {
      twin.layers[i].setWeights(layer.getWeights());
    }
  }
  return twin;
}

/**
 * Every block-sparse layer in one model (conv → mLSTM over the rows →
 * dense), trained with model.fit and saved and loaded through tfjs's
 * serialization, on whatever backend is active; with `int8Blocks`, its
 * conv and dense layers also with int8 blocks (int8Twin).
 */
export async function layersCheck(epochs: number, int8Blocks: boolean): Promise<LayersCheckResult> {
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
    const result: LayersCheckResult = {
      initialLoss: losses[0],
      finalLoss: losses[losses.length - 1],
      reloadDifference: await roundTripDifference(model, x)
    };
    if (int8Blocks) {
      const twin = await int8Twin(model);
      try {
        const error = tf.tidy(() => {
          const expected = model.predict(x) as tf.Tensor;
          return tf.div(tf.max(tf.abs(tf.sub(twin.predict(x) as tf.Tensor, expected))), tf.max(tf.abs(expected)));
        });
        result.int8 = {predictionError: (await error.data())[0], reloadDifference: await roundTripDifference(twin, x)};
        error.dispose();
      } finally {
        twin.dispose();
      }
    }
    return result;
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}
