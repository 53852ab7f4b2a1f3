import * as tf from '@tensorflow/tfjs';

/** A model's artifacts (topology, weight specs and data) as its save() gives them, in memory. */
export async function artifactsOf(model: tf.LayersModel|tf.GraphModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts|undefined;
  await model.save(tf.io.withSaveHandler(async a => {
    artifacts = a;
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
  }));
  return artifacts!;
}
