import * as tf from '@tensorflow/tfjs';

/** Saves through tfjs's own IO path (topology JSON + weight data) and loads it back. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts|undefined;
  await model.save(tf.io.withSaveHandler(async a => {
    artifacts = {...JSON.parse(JSON.stringify({...a, weightData: undefined})), weightData: a.weightData};
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

export function values(t: tf.Tensor|tf.Tensor[]): number[] {
  return Array.from((t as tf.Tensor).dataSync());
}
