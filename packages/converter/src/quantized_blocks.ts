import * as tf from '@tensorflow/tfjs';
import {BlockLayout, quantizeBlocks, toFloat16Blocks} from '@tfjs-blocksparse/core';
import {GRAPH_CONV2D_OP, GRAPH_MATMUL_OP, graphNodeLayout} from '@tfjs-blocksparse/graph';

import {findWeight} from './fold_layers';
import {artifactsOf} from './model_artifacts';
import {constNode, GraphDef} from './sparsify_graph';
import {LayerJSON, visitLayers} from './sparsify_model';

const KERNEL_LAYERS = new Set(['BlockSparseDense', 'BlockSparseConv2D']);

/**
 * What int8Blocks or float16Blocks changed: the layers (graph: nodes) now holding such blocks, and their kernels' bytes before and after.
 */
export interface QuantizedBlocksReport {
  layers: string[];
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * A converted model whose block-sparse layers (graph: nodes) hold int8
 * blocks: each float32 packed kernel becomes quantizeBlocks' int8 blocks
 * (an int32 weight of a quarter the bytes) and one scale per output
 * channel, which the cpu, wasm and webgpu kernels read as such (Layers:
 * kernelDtype 'int8'; graph: the scales an input after the kept blocks).
 * Every other weight is left as it was. Run it last: int8 blocks do not
 * train.
 */
export function int8Blocks<M extends tf.LayersModel|tf.GraphModel>(model: M): Promise<{model: M, report: QuantizedBlocksReport}> {
  return blocksAs(model, 'int8');
}

/**
 * A converted model whose block-sparse layers (graph: nodes) hold float16
 * blocks: each float32 packed kernel becomes toFloat16Blocks' int32 weight
 * of half the bytes, which the cpu, wasm and webgpu kernels read as such
 * (Layers: kernelDtype 'float16'). Every other weight is left as it was.
 * Run it last: float16 blocks do not train.
 */
export function float16Blocks<M extends tf.LayersModel|tf.GraphModel>(model: M): Promise<{model: M, report: QuantizedBlocksReport}> {
  return blocksAs(model, 'float16');
}

async function blocksAs<M extends tf.LayersModel|tf.GraphModel>(
    model: M, format: 'int8'|'float16'): Promise<{model: M, report: QuantizedBlocksReport}> {
  const caller = format === 'int8' ? 'int8Blocks' : 'float16Blocks';
  const artifacts = await artifactsOf(model);
  if (artifacts.weightData == null || artifacts.weightSpecs == null) {
    throw new Error(`${caller}: the model holds no weights (was it loaded from a model.json?)`);
  }
  const weights = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
  const report: QuantizedBlocksReport = {layers: [], bytesBefore: 0, bytesAfter: 0};
  try {
    // The kernel `key` as `format` blocks in place; returns int8 blocks' scales.
    const quantize = (name: string, key: string, layout: BlockLayout) => {
      const {w, scales} =
          format === 'int8' ? quantizeBlocks(weights[key], layout) : {w: toFloat16Blocks(weights[key], layout), scales: undefined};
      report.layers.push(name);
      report.bytesBefore += 4 * weights[key].size;
      report.bytesAfter += 4 * (w.size + (scales?.size ?? 0));
      weights[key].dispose();
      weights[key] = w;
      return scales;
    };
    if (model instanceof tf.GraphModel) {
      const graph = topology as GraphDef;
      for (const node of graph.node.filter(n => n.op === GRAPH_MATMUL_OP || n.op === GRAPH_CONV2D_OP)) {
        const [, packedName, blocksName] = (node.input ?? []).filter(i => !i.startsWith('^'));
        if (weights[packedName]?.dtype !== 'float32') {
          continue;
        }
        const attr = (key: string) => Number(node.attr?.[key]?.i);
        const layout = graphNodeLayout(weights[blocksName], attr('block_size'), attr('input_size'), attr('output_size'), node.op);
        const scales = quantize(node.name, packedName, layout);
        graph.node[graph.node.findIndex(n => n.name === packedName)] = constNode(packedName, weights[packedName]);
        if (scales != null) {
          const scalesName = `${node.name}/block_sparse_scales`;
          weights[scalesName] = scales;
          graph.node.push(constNode(scalesName, scales));
          node.input!.splice(3, 0, scalesName);
        }
      }
      const encoded = await tf.io.encodeWeights(weights);
      return {
        model: await tf.loadGraphModel(
                   tf.io.fromMemory({...artifacts, modelTopology: graph, weightSpecs: encoded.specs, weightData: encoded.data})) as M,
        report
      };
    }
    visitLayers(topology as LayerJSON, layer => {
      const config = layer.config as Record<string, unknown>;
      const name = config.name as string;
      const key = findWeight(weights, name, 'kernel');
      if (!KERNEL_LAYERS.has(layer.class_name) || (config.kernel_dtype ?? 'float32') !== 'float32' || key == null) {
        return;
      }
      const json = config.layout as {block_size: number, row_blocks: number, col_blocks: number, blocks: number[]};
      const layout =
          BlockLayout.fromJSON({blockSize: json.block_size, rowBlocks: json.row_blocks, colBlocks: json.col_blocks, blocks: json.blocks});
      const scales = quantize(name, key, layout);
      if (scales != null) {
        weights[key.replace(/kernel$/, 'kernel_scales')] = scales;
      }
      config.kernel_dtype = format;
    });
    const encoded = await tf.io.encodeWeights(weights);
    return {
      model: await tf.loadLayersModel(
                 tf.io.fromMemory({...artifacts, modelTopology: topology, weightSpecs: encoded.specs, weightData: encoded.data})) as M,
      report
    };
  } finally {
    tf.dispose(weights);
  }
}
