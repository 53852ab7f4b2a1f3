import * as tf from '@tensorflow/tfjs';

/**
 * Small tfjs graph models written node by node, as tensorflowjs_converter
 * writes them (GraphDef JSON: strings base64, ints as decimal strings,
 * weights as Const nodes named in the manifest), with weights made by tfjs.
 */
export interface FixtureNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const T = {
  T: {type: 'DT_FLOAT'}
};

export class GraphFixture {
  readonly nodes: FixtureNode[] = [];
  readonly weights: tf.NamedTensorMap = {};

  placeholder(name: string, shape: number[], dtype = 'DT_FLOAT'): string {
    this.nodes.push(
        {name, op: 'Placeholder', attr: {dtype: {type: dtype}, shape: {shape: {dim: shape.map(size => ({size: String(size)}))}}}});
    return name;
  }

  constant(name: string, value: tf.Tensor): string {
    this.weights[name] = value;
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        dtype: {type: 'DT_FLOAT'},
        value: {tensor: {dtype: 'DT_FLOAT', tensorShape: {dim: value.shape.map(size => ({size: String(size)}))}}}
      }
    });
    return name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({name, op, input, attr: {...T, ...attr}});
    return name;
  }

  matMul(name: string, a: string, b: string, {transposeA = false, transposeB = false} = {}): string {
    return this.op(name, 'MatMul', [a, b], {transpose_a: {b: transposeA}, transpose_b: {b: transposeB}});
  }

  fusedMatMul(name: string, x: string, w: string, args: string[], fusedOps: string[], extra: Record<string, unknown> = {}): string {
    return this.op(name, '_FusedMatMul', [x, w, ...args], {
      transpose_a: {b: false},
      transpose_b: {b: false},
      num_args: {i: String(args.length)},
      fused_ops: {list: {s: fusedOps.map(b64)}},
      epsilon: {f: 0},
      ...extra
    });
  }

  conv2d(name: string, x: string, filter: string, {
    strides = 1,
    padding = 'SAME',
    explicit = [] as number[],
    dilations = 1,
    fused = undefined as undefined | {args: string[], ops: string[]},
    format = 'NHWC'
  } = {}): string {
    return this.op(name, fused == null ? 'Conv2D' : '_FusedConv2D', [x, filter, ...(fused?.args ?? [])], {
      strides: {list: {i: ['1', String(strides), String(strides), '1']}},
      dilations: {list: {i: ['1', String(dilations), String(dilations), '1']}},
      padding: {s: b64(padding)},
      explicit_paddings: {list: explicit.length === 0 ? {} : {i: explicit.map(String)}},
      data_format: {s: b64(format)},
      use_cudnn_on_gpu: {b: true},
      ...(fused == null ? {} : {num_args: {i: String(fused.args.length)}, fused_ops: {list: {s: fused.ops.map(b64)}}, epsilon: {f: 0}})
    });
  }

  async load(): Promise<tf.GraphModel> {
    const {data, specs} = await tf.io.encodeWeights(this.weights);
    return tf.loadGraphModel(tf.io.fromMemory({
      modelTopology: {node: this.nodes, versions: {producer: 1}},
      format: 'graph-model',
      generatedBy: 'graph_fixture',
      convertedBy: 'graph_fixture',
      weightSpecs: specs,
      weightData: data
    }));
  }
}

export function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
