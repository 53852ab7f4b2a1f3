import * as tf from '@tensorflow/tfjs';
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync} from 'fs';
import {basename, dirname, join, resolve} from 'path';

import {QuantizeDtype, quantizeWeights, storedBytesPerValue, StoredWeights} from './quantize';

export type ModelFormat = 'layers-model'|'graph-model';

export interface SaveOptions {
  /** Each float32 weight's encoding in the files (tfjs manifest quantization); undefined keeps float32. */
  quantize?: (spec: tf.io.WeightsManifestEntry) => QuantizeDtype | undefined;
  /** The input model's stored weights: those the conversion left unchanged keep their bytes (quantizeWeights). */
  originals?: StoredWeights;
  /** Largest weight file, as tensorflowjs_converter's --weight_shard_size_bytes (default 4 MiB). */
  shardBytes?: number;
}

/**
 * tfjs's model format on disk (model.json + binary weight shards) for Node
 * without tfjs-node: `loadFrom('dir/model.json')`, `saveTo('dir')`. Both
 * formats (Layers and graph models) and every manifest tensorflowjs_converter
 * writes (groups, shards, quantized weights) are read; saving writes shards
 * as it does, quantized on request (SaveOptions). Saving writes into a temporary sibling directory and renames it into
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
        throw new Error(`cannot read model ${modelJsonPath}: ${(e as Error).message}`, {cause: e});
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
            throw new Error(`cannot read weight file ${file} listed in ${modelJsonPath}: ${(e as Error).message}`, {cause: e});
          }
        }));
        const data = tf.io.concatenateArrayBuffers(buffers);
        const expected = weightBytes(specs);
        // Strings have no fixed size: tfjs's decoder checks them.
        if (data.byteLength !== expected && !specs.some(s => s.dtype === 'string')) {
          throw new Error(`weight files of ${modelJsonPath} hold ${data.byteLength} bytes; its manifest needs ${expected}`);
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

/** Which of tfjs's two model formats a loaded model.json holds; one short line for anything else. */
export function modelFormatOf(artifacts: tf.io.ModelArtifacts, source: string): ModelFormat {
  const topology = artifacts.modelTopology as Record<string, unknown>;
  if (artifacts.format === 'graph-model' || Array.isArray(topology?.node)) {
    return 'graph-model';
  }
  if (typeof topology?.class_name === 'string' || topology?.model_config != null) {
    return 'layers-model';
  }
  const keys = topology == null || typeof topology !== 'object' ? typeof topology : Object.keys(topology).slice(0, 5).join(', ');
  throw new Error(
      `${source} is neither a tfjs Layers model nor a graph model ` +
      `(format ${JSON.stringify(artifacts.format ?? null)}, modelTopology keys: ${keys})`);
}

/** A model.json of either format, read once and loaded as its format's model class. */
export async function readModel(modelPath: string):
    Promise<{artifacts: tf.io.ModelArtifacts, format: ModelFormat, model: tf.LayersModel | tf.GraphModel}> {
  const artifacts = await loadFrom(modelPath).load!();
  const format = modelFormatOf(artifacts, modelPath);
  const model = format === 'graph-model' ? await tf.loadGraphModel(tf.io.fromMemory(artifacts)) :
                                           await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return {artifacts, format, model};
}

/** Bytes of a model's weight files (as its manifest lays them out). */
export function weightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * storedBytesPerValue(s), 0);
}

export function saveTo(directory: string, options: SaveOptions = {}): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const target = resolve(directory);
      checkOutputDirectory(target);
      const staging = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
      mkdirSync(staging, {recursive: true});
      try {
        let specs = artifacts.weightSpecs ?? [];
        let data = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(artifacts.weightData);
        if (options.quantize != null) {
          ({specs, data} = quantizeWeights(specs, data, options.quantize, options.originals));
        }
        const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
        const shards = Math.max(1, Math.ceil(data.byteLength / shardBytes));
        const paths = Array.from({length: shards}, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
        paths.forEach(
            (path, i) => writeFileSync(
                join(staging, path), Buffer.from(data, i * shardBytes, Math.min(shardBytes, data.byteLength - i * shardBytes))));
        const {modelTopology, format, generatedBy, convertedBy} = artifacts;
        const optional = (['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const)
                             .filter(key => artifacts[key] != null)
                             .map(key => [key, artifacts[key]]);
        const modelJson =
            {modelTopology, format, generatedBy, convertedBy, weightsManifest: [{paths, weights: specs}], ...Object.fromEntries(optional)};
        writeFileSync(join(staging, 'model.json'), JSON.stringify(modelJson));
        if (existsSync(target)) {
          rmdirSync(target);
        }
        renameSync(staging, target);
        return {modelArtifactsInfo: {...tf.io.getModelArtifactsInfoForJSON(artifacts), weightDataBytes: data.byteLength}};
      } catch (e) {
        rmSync(staging, {recursive: true, force: true});
        throw e;
      }
    }
  };
}
