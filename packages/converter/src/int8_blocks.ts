import * as tf from '@tensorflow/tfjs';
import {BlockLayout, quantizeBlocks} from '@tfjs-blocksparse/core';
import {GRAPH_CONV2D_OP, GRAPH_MATMUL_OP, graphNodeLayout} from '@tfjs-blocksparse/graph';

import {findWeight} from './fold_layers';
import {artifactsOf} from './model_artifacts';
import {constNode, GraphDef} from './sparsify_graph';
import {LayerJSON, visitLayers} from './sparsify_model';

const INT8_LAYERS = new Set(['BlockSparseDense', 'BlockSparseConv2D']);

/** What int8Blocks changed: the layers (graph: nodes) now holding int8 blocks, and their kernels' bytes before and after. */
export interface Int8Report {
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
export async function int8Blocks<M extends tf.LayersModel|tf.GraphModel>(model: M): Promise<{model: M, report: Int8Report}> {
  const artifacts = await artifactsOf(model);
  if (artifacts.weightData == null || artifacts.weightSpecs == null) {
    throw new Error('int8Blocks: the model holds no weights (was it loaded from a model.json?)');
  }
  const weights = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
  const report: Int8Report = {layers: [], bytesBefore: 0, bytesAfter: 0};
  try {
    const quantize = (name: string, key: string, layout: BlockLayout) => {
      const {w, scales} = quantizeBlocks(weights[key], layout);
      report.layers.push(name);
      report.bytesBefore += 4 * weights[key].size;
      report.bytesAfter += 4 * (w.size + scales.size);
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
        const scalesName = `${node.name}/block_sparse_scales`;
        weights[scalesName] = quantize(node.name, packedName, layout);
        graph.node[graph.node.findIndex(n => n.name === packedName)] = constNode(packedName, weights[packedName]);
        graph.node.push(constNode(scalesName, weights[scalesName]));
        node.input!.splice(3, 0, scalesName);
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
      if (!INT8_LAYERS.has(layer.class_name) || config.kernel_dtype === 'int8' || key == null) {
        return;
      }
      const json = config.layout as {block_size: number, row_blocks: number, col_blocks: number, blocks: number[]};
      const layout =
          BlockLayout.fromJSON({blockSize: json.block_size, rowBlocks: json.row_blocks, colBlocks: json.col_blocks, blocks: json.blocks});
      weights[key.replace(/kernel$/, 'kernel_scales')] = quantize(name, key, layout);
      config.kernel_dtype = 'int8';
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
