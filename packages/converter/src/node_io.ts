import * as tf from '@tensorflow/tfjs';
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync} from 'fs';
import {basename, dirname, join, resolve} from 'path';

/**
 * tfjs's model format on disk (model.json + binary weight shards) for Node
 * without tfjs-node: `loadFrom('dir/model.json')`, `saveTo('dir')`.
 * Saving writes into a temporary sibling directory and renames it into
 * place, so an error never leaves a half-written model behind; the target
 * must not exist or be an empty directory, so nothing of the user's is
 * overwritten.
 */
export function loadFrom(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read model ${modelJsonPath}: ${(e as Error).message}`);
      }
      if (json == null || typeof json !== 'object' || json.modelTopology == null) {
        throw new Error(`${modelJsonPath} is not a tfjs model.json: it has no modelTopology`);
      }
      return tf.io.getModelArtifactsForJSON(json, async manifest => {
        const specs = tf.io.getWeightSpecs(manifest);
        const buffers = manifest.flatMap(group => group.paths.map(path => {
          const file = join(dirname(modelJsonPath), path);
          try {
            const bytes = readFileSync(file);
            return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
          } catch (e) {
            throw new Error(`cannot read weight file ${file} listed in ${modelJsonPath}: ${(e as Error).message}`);
          }
        }));
        const data = tf.io.concatenateArrayBuffers(buffers);
        const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPer(s.dtype), 0);
        if (data.byteLength !== expected) {
          throw new Error(
              `weight files of ${modelJsonPath} hold ${data.byteLength} bytes; its manifest needs ${expected}`);
        }
        return [specs, data];
      });
    }
  };
}

/** Throws unless `directory` is absent or an empty directory: saveTo never writes over a model. */
export function checkOutputDirectory(directory: string): void {
  const target = resolve(directory);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new Error(`output ${target} exists and is not an empty directory`);
  }
}

export function saveTo(directory: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const target = resolve(directory);
      checkOutputDirectory(target);
      const staging = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
      mkdirSync(staging, {recursive: true});
      try {
        const weightsFile = 'weights.bin';
        const manifest = [{paths: [weightsFile], weights: artifacts.weightSpecs ?? []}];
        const modelJson: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology!,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: manifest,
          ...(artifacts.trainingConfig == null ? {} : {trainingConfig: artifacts.trainingConfig}),
          ...(artifacts.userDefinedMetadata == null ? {} : {userDefinedMetadata: artifacts.userDefinedMetadata})
        };
        const data = artifacts.weightData == null ? new ArrayBuffer(0) :
                                                    tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer);
        writeFileSync(join(staging, weightsFile), Buffer.from(data));
        writeFileSync(join(staging, 'model.json'), JSON.stringify(modelJson));
        if (existsSync(target)) {
          rmdirSync(target);
        }
        renameSync(staging, target);
      } catch (e) {
        rmSync(staging, {recursive: true, force: true});
        throw e;
      }
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
    }
  };
}

function bytesPer(dtype: string): number {
  return dtype === 'bool' ? 1 : 4;
}
