import * as tf from '@tensorflow/tfjs';
import {BlockLayout} from '@tfjs-blocksparse/core';
// Registers the graph ops that the converted nodes name.
import {GRAPH_ACTIVATIONS, GRAPH_CONV2D_OP, GRAPH_MATMUL_OP} from '@tfjs-blocksparse/graph';

import {artifactsOf} from './model_artifacts';
import {calibrationBatches, CalibratedWeight, CalibrationOptions, CalibrationSite, calibrateSite, checkInputShape, convRows, matMulRows, refitSite, RefitWeight, RowsOf, SensitivityProbe} from './calibrate';
import {fixedBatchSize} from './fidelity';
import {FrontierStepper, steppedGraph, tensorName} from './frontier_stepper';
import {SpeedCheck, TimedLayer} from './speed_check';
import {alreadySparseReport, blockProblem, checkOptions, densityOf, denseReport, filteredOut, LayerReport, sparsifyKernel, SparsifyOptions, SparsifyReport, totalsOf} from './sparsify_weight';
import {withTolerance} from './tolerance';

/** A GraphDef attribute value as tfjs's model.json holds it (strings base64, ints as decimal strings). */
interface AttrValue {
  i?: string|number;
  f?: number;
  b?: boolean;
  s?: string;
  type?: string;
  list?: {i?: Array<string|number>, s?: string[]};
  [other: string]: unknown;
}

export interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
  device?: string;
}

export interface GraphDef {
  node: NodeDef[];
  library?: {function?: Array<{signature?: {name?: string}, nodeDef?: NodeDef[]}>};
}

const MATMUL_OPS = new Set(['MatMul', 'BatchMatMul', 'BatchMatMulV2', '_FusedMatMul']);
const CONV_OPS = new Set(['Conv2D', '_FusedConv2D', 'FusedConv2D']);
const SPARSE_OPS = new Set([GRAPH_MATMUL_OP, GRAPH_CONV2D_OP]);
/** Ops whose outputs are inside a while loop or a cond branch; Exit and Merge lead back out. */
const CONTROL_FLOW_ENTRY = new Set(['Enter', 'Switch', 'LoopCond', 'NextIteration']);
const CONTROL_FLOW_EXIT = new Set(['Exit', 'Merge']);

/**
 * A new GraphModel where MatMul, BatchMatMul, _FusedMatMul, Conv2D and
 * FusedConv2D nodes whose weight is a constant become the block-sparse graph
 * ops of @tfjs-blocksparse/graph (blocks chosen by `layout` of the trained
 * weight; fused bias and activation kept). Every other node is left as it
 * was; nodes that cannot be converted (weight computed or not a constant,
 * inside control flow or a graph function, NCHW, uneven explicit padding,
 * fused batch norm) stay dense and the report says why. The result runs with
 * plain tf.loadGraphModel once @tfjs-blocksparse/graph is imported.
 */
export async function sparsifyGraphModel(
    model: tf.GraphModel, options: SparsifyOptions): Promise<{model: tf.GraphModel, report: SparsifyReport}> {
  checkOptions(options);
  return withTolerance(model, options, (o, probe) => convertGraphModel(model, o, probe));
}

async function convertGraphModel(
    model: tf.GraphModel, options: SparsifyOptions, probe?: SensitivityProbe): Promise<{model: tf.GraphModel, report: SparsifyReport}> {
  const artifacts = await artifactsOf(model);
  if (artifacts.weightData == null || artifacts.weightSpecs == null) {
    throw new Error('sparsifyGraphModel: the model holds no weights to convert (was it loaded from a model.json?)');
  }
  const weights = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const graph = JSON.parse(JSON.stringify(artifacts.modelTopology)) as GraphDef;
  const calibration = options.calibrate != null ?
      new GraphCalibration(model, (artifacts.modelTopology as GraphDef).node, options.calibrate, probe) :
      undefined;
  const speed = options.onlyFaster ? new SpeedCheck(await graphInputShapes(model, graph.node), options.timeOn) : undefined;
  const converter = new GraphConverter(graph, weights, options, calibration, speed);
  try {
    const layers = await converter.convertAll();
    const fused = converter.fuseEpilogues(new Set(model.outputs.map(o => nodeName(o.name))), options.foldBatchNorm !== false);
    converter.dropUnusedWeights();
    const encoded = await tf.io.encodeWeights(weights);
    const sparse = await tf.loadGraphModel(
        tf.io.fromMemory({...artifacts, modelTopology: graph, weightSpecs: encoded.specs, weightData: encoded.data}));
    return {
      model: sparse,
      report: {
        layers,
        totals: totalsOf(layers),
        model: {paramsBefore: converter.paramsBefore, paramsAfter: floatParams(weights)},
        folded: fused
      }
    };
  } finally {
    tf.dispose(weights);
    calibration?.dispose();
  }
}

/**
 * Calibration of a graph model: a node's input comes from the original model
 * and from the same graph fed the calibrated weights of the nodes converted so
 * far (dense, zero outside the kept blocks: the same function as the
 * block-sparse node) in place of their constants, each stream stepped forward
 * node by node (FrontierStepper).
 */
class GraphCalibration {
  private readonly fed: tf.NamedTensorMap = {};
  private readonly batches: tf.Tensor[];
  private readonly options: CalibrationOptions;
  private readonly original: FrontierStepper;
  /** Undefined until a node is calibrated: until then both streams are the same. */
  private converted?: FrontierStepper;

  constructor(
      private readonly model: tf.GraphModel, private readonly nodes: NodeDef[], options: CalibrationOptions,
      private readonly probe?: SensitivityProbe) {
    if (model.inputs.length !== 1) {
      throw new Error(`calibrate: the graph model has ${model.inputs.length} inputs; calibration takes models with one`);
    }
    const input = model.inputs[0];
    checkInputShape(input.shape, options.inputs);
    // A graph made for one batch size (MoveNet's [1, 192, 192, 3]) is run in batches of that size.
    const fixedBatch = fixedBatchSize(model);
    this.options = fixedBatch != null ? {...options, batchSize: fixedBatch} : options;
    this.batches = calibrationBatches(this.options, input.dtype);
    this.original = new FrontierStepper(steppedGraph(model, nodes, () => ({})));
  }

  /** Nodes in the order calibration must visit them (after the nodes they read). */
  inOrder(nodes: NodeDef[]): NodeDef[] {
    const at = (node: NodeDef) => this.original.positionOf(tensorName(node.input?.[0] ?? ''));
    return [...nodes].sort((a, b) => at(a) - at(b));
  }

  /** Fits a node whose x is `xInput`; `feed` gets the fitted weights as the graph's constants take them. */
  async calibrate(
      name: string, xInput: string, site: CalibrationSite, blockSize: number, density: number,
      feed: (fitted: CalibratedWeight) => tf.NamedTensorMap): Promise<CalibratedWeight|undefined> {
    const originals = await this.original.step(tensorName(xInput), this.batches);
    const converted = this.converted == null ? undefined : await this.converted.step(tensorName(xInput), this.batches);
    const fitted = await calibrateSite(
        name, site, async (_, b) => [originals[b](), converted?.[b]() ?? null], this.options, blockSize, density, this.probe);
    if (fitted == null) {
      return undefined;
    }
    this.feed(feed(fitted));
    this.converted ??= this.original.fork(steppedGraph(this.model, this.nodes, () => this.fed));
    return fitted;
  }

  /**
   * Refits a node that stays dense to the original's output from the converted model's input; undefined when
   * nothing before it has changed (its input is the original's) or on a budget's first pass.
   */
  async refit(xInput: string, site: CalibrationSite, feed: (fitted: RefitWeight) => tf.NamedTensorMap): Promise<RefitWeight|undefined> {
    if (this.converted == null || this.probe != null || this.options.refitDense === false) {
      return undefined;
    }
    const originals = await this.original.step(tensorName(xInput), this.batches);
    const converted = await this.converted.step(tensorName(xInput), this.batches);
    const fitted = await refitSite(site, async (_, b) => [originals[b](), converted[b]()], this.options);
    if (fitted != null) {
      this.feed(feed(fitted));
    }
    return fitted;
  }

  private feed(weights: tf.NamedTensorMap) {
    for (const [name, value] of Object.entries(weights)) {
      this.fed[name]?.dispose();
      this.fed[name] = value;
    }
  }

  dispose() {
    tf.dispose([...this.batches, ...Object.values(this.fed)]);
  }
}

function floatParams(weights: tf.NamedTensorMap): number {
  return Object.values(weights).reduce((n, w) => n + (w.dtype === 'float32' ? w.size : 0), 0);
}

/** A node input's node name: 'name', 'name:1' and '^name' (control) all name 'name'. */
function nodeName(input: string): string {
  return input.replace(/^\^/, '').split(':')[0];
}

/** A GraphDef string attribute (base64 in model.json); atob, so that this also runs in a page. */
function decodeString(value: string|undefined): string|undefined {
  return value == null ? undefined : atob(value);
}

/**
 * The weights a converted graph model trains: each block-sparse node's packed
 * weight and fused bias (inputs 1 and 3 of the node replace() writes).
 */
export function blockSparseWeightNames(nodes: NodeDef[]): string[] {
  const names = nodes.filter(n => n.op === GRAPH_MATMUL_OP || n.op === GRAPH_CONV2D_OP).flatMap(n => {
    const data = (n.input ?? []).filter(i => !i.startsWith('^'));
    return [data[1], ...(data.length > 3 ? [data[3]] : [])].map(nodeName);
  });
  return [...new Set(names)];
}

function intList(attr: AttrValue|undefined): number[]|undefined {
  return attr?.list?.i?.map(Number);
}

class GraphConverter {
  private readonly byName: Map<string, NodeDef>;
  private readonly controlFlow = new Map<string, boolean>();
  private readonly replacedWeights = new Set<string>();
  readonly paramsBefore: number;

  constructor(
      private readonly graph: GraphDef, private readonly weights: tf.NamedTensorMap, private readonly options: SparsifyOptions,
      private readonly calibration?: GraphCalibration, private readonly speed?: SpeedCheck) {
    this.byName = new Map(graph.node.map(n => [n.name, n]));
    this.paramsBefore = floatParams(weights);
  }

  async convertAll(): Promise<LayerReport[]> {
    const nodes = this.graph.node.filter(n => MATMUL_OPS.has(n.op) || CONV_OPS.has(n.op) || SPARSE_OPS.has(n.op));
    const candidates = this.calibration?.inOrder(nodes) ?? nodes;
    const reports: LayerReport[] = [];
    for (const node of candidates) {
      reports.push(await this.convert(node));
      this.options.onProgress?.(reports.length, candidates.length, node.name);
    }
    for (const fn of this.graph.library?.function ?? []) {
      for (const node of (fn.nodeDef ?? []).filter(n => MATMUL_OPS.has(n.op) || CONV_OPS.has(n.op))) {
        reports.push(
            denseReport(node.name, node.op, [], 0, `inside graph function ${fn.signature?.name ?? '?'} (control flow): left as it was`));
      }
    }
    return reports;
  }

  /**
   * Takes the ops that only transform a block-sparse node's output into its
   * epilogue, where tensorflowjs_converter left them apart (as it does for a
   * Conv2D whose norm became an Add): a constant per-channel Add (the bias),
   * then Relu, Relu6, Elu, Sigmoid or LeakyRelu, and a Relu's clip to 6
   * (tf.clip_by_value: Minimum 6, then Maximum 0). One kernel call where
   * there were up to five. The dense Conv2D and DepthwiseConv2dNative nodes
   * left take theirs in the same way, becoming tfjs's own fused ops, and
   * a per-channel Mul before the Add (a norm's scale) into their filter
   * (with `foldScales`: it changes a stored weight).
   * Returns the names of the nodes taken in.
   */
  fuseEpilogues(outputs: Set<string>, foldScales: boolean): string[] {
    const taken: string[] = [];
    // The nodes that read each node, kept up to date as nodes are taken in (one scan of the graph, not one per question).
    const readerIndex = new Map<string, Set<NodeDef>>();
    const addReader = (name: string, reader: NodeDef) => {
      const known = readerIndex.get(name) ?? new Set<NodeDef>();
      readerIndex.set(name, known.add(reader));
    };
    this.graph.node.forEach(n => (n.input ?? []).forEach(i => addReader(nodeName(i), n)));
    const readers = (name: string) => [...readerIndex.get(name) ?? []];
    // The node that alone reads `name`'s output, once, where neither is a model output.
    const soleReader = (name: string) => {
      const found = outputs.has(name) ? [] : readers(name);
      return found.length === 1 && found[0].input!.filter(i => nodeName(i) === name).length === 1 && !outputs.has(found[0].name) ?
          found[0] :
          undefined;
    };
    // The constant operand of a binary op that also reads `name`.
    const constantBeside = (node: NodeDef, name: string) => {
      const other = (node.input ?? []).filter(i => !i.startsWith('^') && nodeName(i) !== name);
      const constant =
          other.length === 1 && this.byName.get(nodeName(other[0]))?.op === 'Const' ? this.weights[nodeName(other[0])] : undefined;
      return constant?.dtype === 'float32' ? constant : undefined;
    };
    const scalarBeside = (node: NodeDef|undefined, name: string) => {
      const constant = node == null ? undefined : constantBeside(node, name);
      return constant?.size === 1 ? constant.dataSync()[0] : undefined;
    };
    const takeIn = (node: NodeDef, into: NodeDef) => {
      for (const reader of readers(node.name)) {
        reader.input = reader.input!.map(i => nodeName(i) === node.name ? `${i.startsWith('^') ? '^' : ''}${into.name}` : i);
        addReader(into.name, reader);
      }
      readerIndex.delete(node.name);
      (node.input ?? []).forEach(i => readerIndex.get(nodeName(i))?.delete(node));
      this.graph.node.splice(this.graph.node.indexOf(node), 1);
      taken.push(node.name);
      // Its constants (a bias, a clip's bound) go with it where nothing else reads them (dropUnusedWeights).
      (node.input ?? []).map(nodeName).filter(i => this.byName.get(i)?.op === 'Const').forEach(i => this.replacedWeights.add(i));
    };
    for (const node of this.graph.node.filter(n => SPARSE_OPS.has(n.op) || n.op in FUSED_DENSE_OP)) {
      node.attr ??= {};
      const attr = node.attr;
      const fusedOps = (attr.fused_ops?.list?.s ?? []).map(v => decodeString(v)!);
      const outSize = SPARSE_OPS.has(node.op) ? Number(attr.output_size?.i) : denseOutputSize(node, this.weights);
      if (fusedOps.length > 1 || !(outSize > 0)) {
        continue;
      }
      const setBias = (bias: tf.Tensor) => {
        const name = `${node.name}/fused_bias`;
        this.weights[name] = bias;
        this.graph.node.push(constNode(name, bias));
        const control = node.input!.findIndex(i => i.startsWith('^'));
        node.input!.splice(control < 0 ? node.input!.length : control, 0, name);
        addReader(name, node);
        fusedOps.push('BiasAdd');
        attr.num_args = {i: '1'};
        attr.fused_ops = {list: {s: fusedOps.map(op => btoa(op))}};
        node.op = FUSED_DENSE_OP[node.op] ?? node.op;
      };
      // A dense node's per-channel Mul (a norm's scale) goes into its filter, where no other node reads the filter.
      const mul = foldScales && fusedOps.length === 0 && !SPARSE_OPS.has(node.op) ? soleReader(node.name) : undefined;
      const scale = mul?.op === 'Mul' ? constantBeside(mul, node.name) : undefined;
      const filterName = nodeName(node.input![1]);
      if (mul != null && scale != null && scale.size === outSize && scale.shape.slice(0, -1).every(d => d === 1) &&
          readers(filterName).length === 1) {
        const filter = this.weights[filterName];
        const [, , channels, outputs] = filter.shape;
        // A depthwise filter [kh, kw, C, multiplier] has output channel c·multiplier + m.
        const scaleShape = node.op === 'DepthwiseConv2dNative' ? [1, 1, channels, outputs] : [1, 1, 1, outputs];
        this.weights[filterName] = tf.tidy(() => tf.mul(filter, tf.reshape(scale, scaleShape)));
        filter.dispose();
        takeIn(mul, node);
      }
      const add = fusedOps.length === 0 ? soleReader(node.name) : undefined;
      const bias = add != null && ['Add', 'AddV2', 'BiasAdd'].includes(add.op) ? constantBeside(add, node.name) : undefined;
      if (add != null && bias != null && bias.size === outSize && bias.shape.slice(0, -1).every(d => d === 1)) {
        setBias(tf.reshape(bias, [outSize]));
        takeIn(add, node);
      }
      const activationNode = soleReader(node.name);
      let activation =
          activationNode == null ? undefined : ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'LeakyRelu'].find(op => op === activationNode.op);
      if (activationNode == null || activation == null) {
        continue;
      }
      const chain = [activationNode];
      const minimum = activation === 'Relu' ? soleReader(activationNode.name) : undefined;
      if (minimum?.op === 'Minimum' && scalarBeside(minimum, activationNode.name) === 6) {
        activation = 'Relu6';
        chain.push(minimum);
        const maximum = soleReader(minimum.name);
        if (maximum?.op === 'Maximum' && scalarBeside(maximum, minimum.name) === 0) {
          chain.push(maximum);
        }
      }
      if (fusedOps.length === 0) {
        setBias(tf.zeros([outSize]));
      }
      fusedOps.push(activation);
      attr.fused_ops = {list: {s: fusedOps.map(op => btoa(op))}};
      node.op = FUSED_DENSE_OP[node.op] ?? node.op;
      if (activation === 'LeakyRelu') {
        attr.leakyrelu_alpha = {f: activationNode.attr?.alpha?.f ?? 0.2};
      }
      chain.forEach(n => takeIn(n, node));
    }
    return taken;
  }

  /** Removes the dense weights that no node reads any more. */
  dropUnusedWeights() {
    const read = new Set(this.graph.node.flatMap(n => (n.input ?? []).map(nodeName)));
    this.graph.node = this.graph.node.filter(n => {
      const unused = this.replacedWeights.has(n.name) && !read.has(n.name);
      if (unused) {
        this.weights[n.name].dispose();
        delete this.weights[n.name];
      }
      return !unused;
    });
  }

  private async convert(node: NodeDef): Promise<LayerReport> {
    if (SPARSE_OPS.has(node.op)) {
      return alreadySparseReport(node.name, node.op);
    }
    const inputs = (node.input ?? []).filter(i => !i.startsWith('^'));
    const controlInputs = (node.input ?? []).filter(i => i.startsWith('^'));
    const [xInput, weightInput] = inputs;
    const weightName = weightInput == null ? '' : nodeName(weightInput);
    const weightNode = this.byName.get(weightName);
    const weight = this.weights[weightName] as tf.Tensor | undefined;
    const attr = node.attr ?? {};
    const fusedOps = (attr.fused_ops?.list?.s ?? []).map(s => decodeString(s)!);
    const fusedArgs = inputs.slice(2, 2 + Number(attr.num_args?.i ?? 0));
    const biasParams = fusedOps[0] === 'BiasAdd' ? (this.weights[nodeName(fusedArgs[0] ?? '')]?.size ?? 0) : 0;
    const dense = (reason: string) => denseReport(node.name, node.op, weight?.shape ?? [], biasParams, reason);
    const filtered = filteredOut(node.name, this.options);
    if (filtered != null) {
      return dense(filtered);
    }
    if (this.inControlFlow(node.name)) {
      return dense('inside control flow (a while loop or cond branch)');
    }
    if (weightNode?.op !== 'Const' || weight == null) {
      const firstIsConst = this.byName.get(nodeName(xInput ?? ''))?.op === 'Const';
      return dense(
          firstIsConst && MATMUL_OPS.has(node.op) ? 'the constant is the first operand (W·x): only x·W is converted' :
                                                    `its weight is not a constant (it comes from a ${weightNode?.op ?? 'missing'} node)`);
    }
    if (weight.dtype !== 'float32') {
      return dense(`its weight is ${weight.dtype}, not float32`);
    }
    if (fusedOps.length > 2 || (fusedOps.length > 0 && fusedOps[0] !== 'BiasAdd')) {
      return dense(`fused ${fusedOps.join(', ')} (only BiasAdd and an activation are kept)`);
    }
    if (fusedOps[1] != null && !GRAPH_ACTIVATIONS.includes(fusedOps[1].toLowerCase())) {
      return dense(`fused activation ${fusedOps[1]} is not supported`);
    }
    const shapeProblem = MATMUL_OPS.has(node.op) ? matMulProblem(weight) : convProblem(attr, weight);
    if (shapeProblem != null) {
      return dense(shapeProblem);
    }
    const transposeW = attr.transpose_b?.b === true || attr.adj_y?.b === true;
    const kernelShape = transposeW ? [...weight.shape].reverse() : weight.shape;
    const timed = this.speed != null && blockProblem(node.name, kernelShape, this.options) == null ?
        await this.speed.check(
            node.name, {kernelShape, conv: graphConvGeometry(node), bias: biasParams > 0}, densityOf(node.name, this.options),
            this.options.blockSize) :
        {};
    const kernel = transposeW ? tf.transpose(weight) : weight;
    const biasName = fusedOps[0] === 'BiasAdd' ? nodeName(fusedArgs[0]) : undefined;
    const site = {kernel, bias: biasName == null ? undefined : this.weights[biasName], rows: rowsOfNode(node, kernel)};
    // The fitted weights as the graph's constants take them.
    const asConstants = (fitted: {kernel: tf.Tensor, bias?: tf.Tensor}) => ({
      [weightName]: transposeW ? tf.transpose(fitted.kernel) : fitted.kernel.clone(),
      ...(biasName != null ? {[biasName]: fitted.bias!.clone()} : {})
    });
    try {
      if (timed.reason != null) {
        return await this.refitDense(node, xInput, site, asConstants, {...dense(timed.reason), speedup: timed.speedup});
      }
      const calibrated = this.calibration != null && blockProblem(node.name, kernel.shape, this.options) == null ?
          await this.calibration.calibrate(
              node.name, xInput, site, this.options.blockSize, densityOf(node.name, this.options), asConstants) :
          undefined;
      const {packed, layout, report} = sparsifyKernel(kernel, node.name, node.op, biasParams, this.options, calibrated);
      calibrated?.kernel.dispose();
      if (calibrated?.bias != null) {
        this.weights[biasName!].dispose();
        this.weights[biasName!] = calibrated.bias;
      }
      if (packed == null || layout == null) {
        return await this.refitDense(node, xInput, site, asConstants, report);
      }
      report.speedup = timed.speedup;
      this.replace(node, layout, packed, [xInput, ...fusedArgs], controlInputs);
      this.replacedWeights.add(weightName);
      return report;
    } finally {
      if (kernel !== weight) {
        kernel.dispose();
      }
    }
  }

  /**
   * With calibration, a node that stays dense is refit to the original's output from what the converted nodes
   * before it produce (refitSite), where it alone reads its weights; its constants take the refit values.
   */
  private async refitDense(
      node: NodeDef, xInput: string, site: CalibrationSite, asConstants: (fitted: RefitWeight) => tf.NamedTensorMap,
      report: LayerReport): Promise<LayerReport> {
    const constants = (node.input ?? []).slice(1).filter(i => !i.startsWith('^')).map(nodeName);
    const shared = constants.some(c => this.graph.node.some(n => n !== node && (n.input ?? []).some(i => nodeName(i) === c)));
    const fitted = this.calibration == null || shared ? undefined : await this.calibration.refit(xInput, site, asConstants);
    if (fitted == null) {
      return report;
    }
    for (const [name, value] of Object.entries(asConstants(fitted))) {
      this.weights[name].dispose();
      this.weights[name] = value;
    }
    tf.dispose([fitted.kernel, ...(fitted.bias != null ? [fitted.bias] : [])]);
    return {...report, refitError: fitted.error};
  }

  private replace(node: NodeDef, layout: BlockLayout, packed: tf.Tensor, [x, ...fusedArgs]: string[], control: string[]) {
    const packedName = `${node.name}/block_sparse_weight`;
    const blocksName = `${node.name}/block_sparse_blocks`;
    this.weights[packedName] = packed;
    this.weights[blocksName] = tf.tensor2d(Array.from(layout.rows, (r, i) => [r, layout.cols[i]]), [layout.nnz, 2], 'int32');
    this.graph.node.push(constNode(packedName, packed), constNode(blocksName, this.weights[blocksName]));
    const attr = node.attr ?? {};
    const isConv = CONV_OPS.has(node.op);
    const kept = isConv ? ['T', 'strides', 'padding', 'explicit_paddings', 'dilations', 'data_format'] : ['T'];
    node.attr = {
      ...Object.fromEntries(
          Object.entries(attr).filter(([k]) => kept.includes(k) || ['fused_ops', 'num_args', 'leakyrelu_alpha'].includes(k))),
      ...(isConv ? {} : {transpose_a: {b: attr.transpose_a?.b === true || attr.adj_x?.b === true}}),
      block_size: {i: String(layout.blockSize)},
      input_size: {i: String(layout.inputSize)},
      output_size: {i: String(layout.outputSize)}
    };
    node.op = isConv ? GRAPH_CONV2D_OP : GRAPH_MATMUL_OP;
    node.input = [x, packedName, blocksName, ...fusedArgs, ...control];
  }

  /** Whether a node's inputs lead back into a while loop or cond branch (before leaving it). */
  private inControlFlow(name: string): boolean {
    const known = this.controlFlow.get(name);
    if (known != null) {
      return known;
    }
    this.controlFlow.set(name, false);
    const node = this.byName.get(name);
    const result = node != null && !CONTROL_FLOW_EXIT.has(node.op) &&
        (CONTROL_FLOW_ENTRY.has(node.op) || (node.input ?? []).some(i => this.inControlFlow(nodeName(i))));
    this.controlFlow.set(name, result);
    return result;
  }
}

/** How a converted node turns its x into rows of its kernel's product (a conv's patches). */
/**
 * The input shape at batch 1 of each MatMul/Conv2D node (not transposing
 * its input), read off one run of the model on zeros: for `onlyFaster`.
 */
async function graphInputShapes(model: tf.GraphModel, nodes: NodeDef[]): Promise<Map<string, number[]>> {
  const feeds: tf.NamedTensorMap = {};
  for (const input of model.inputs) {
    const shape = (input.shape ?? []).map((d, i) => i === 0 && !(d > 0) ? 1 : d);
    if (input.shape == null || shape.some(d => !(d > 0))) {
      throw new Error(
          `onlyFaster: the model's input ${input.name} has shape [${input.shape}]; timing its layers needs ` +
          'every dimension but the batch fixed');
    }
    feeds[input.name] = tf.zeros(shape, input.dtype);
  }
  const candidates = nodes.filter(
      n => (MATMUL_OPS.has(n.op) || CONV_OPS.has(n.op)) && n.input?.[0] != null && n.attr?.transpose_a?.b !== true &&
          n.attr?.adj_x?.b !== true);
  const xNames = [...new Set(candidates.map(n => n.input![0]))];
  const outputs = model.execute(feeds, xNames);
  const xs = Array.isArray(outputs) ? outputs : [outputs];
  const shapeOf = new Map(xNames.map((name, i) => [name, xs[i].shape]));
  // An input that is a constant comes back as the model's own weight tensor: that one stays.
  const weights = new Set(Object.values(model.weights).flat());
  tf.dispose([...Object.values(feeds), ...xs.filter(x => !weights.has(x))]);
  return new Map(candidates.map(n => [n.name, shapeOf.get(n.input![0])!]));
}

/** A conv node's strides and dilations (height, width) and padding, read off its NHWC attributes once. */
function convAttrs(node: NodeDef):
    {strides: [number, number], dilations: [number, number], pad: 'same'|'valid'|[[0, 0], [number, number], [number, number], [0, 0]]} {
  const attr = node.attr ?? {};
  const [strides, dilations] = [intList(attr.strides) ?? [1, 1, 1, 1], intList(attr.dilations) ?? [1, 1, 1, 1]];
  const padding = decodeString(attr.padding?.s);
  const pads = intList(attr.explicit_paddings) ?? [];
  return {
    strides: [strides[1], strides[2]],
    dilations: [dilations[1], dilations[2]],
    pad: padding === 'EXPLICIT' ? [[0, 0], [pads[2], pads[3]], [pads[4], pads[5]], [0, 0]] :
        padding === 'SAME'      ? 'same' :
                                  'valid'
  };
}

/** A Conv2D node's geometry as the ops take it (undefined for a matmul); explicit padding is even (convProblem). */
function graphConvGeometry(node: NodeDef): TimedLayer['conv'] {
  if (!CONV_OPS.has(node.op)) {
    return undefined;
  }
  const {strides, dilations, pad} = convAttrs(node);
  return {strides, dilations, pad: Array.isArray(pad) ? pad[1][0] : pad};
}

/** The dense nodes whose epilogue fuseEpilogues fills, and the tfjs-converter op each becomes. */
const FUSED_DENSE_OP: Record<string, string> = {
  Conv2D: '_FusedConv2D',
  DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative'
};

/** A dense NHWC Conv2D's or depthwise conv's output channels, read off its constant filter (0 where there is none). */
function denseOutputSize(node: NodeDef, weights: tf.NamedTensorMap): number {
  const filter = weights[nodeName(node.input?.[1] ?? '')] as tf.Tensor | undefined;
  if (filter == null || filter.rank !== 4 || (decodeString(node.attr?.data_format?.s) ?? 'NHWC') !== 'NHWC') {
    return 0;
  }
  const [, , channels, outputs] = filter.shape as [number, number, number, number];
  return node.op === 'DepthwiseConv2dNative' ? channels * outputs : outputs;
}

function rowsOfNode(node: NodeDef, kernel: tf.Tensor): RowsOf {
  const attr = node.attr ?? {};
  if (!CONV_OPS.has(node.op)) {
    return matMulRows(attr.transpose_a?.b === true || attr.adj_x?.b === true);
  }
  const {strides, dilations, pad} = convAttrs(node);
  return convRows(kernel.shape as [number, number, number, number], strides, dilations, pad);
}

function matMulProblem(weight: tf.Tensor): string|undefined {
  return weight.rank === 2 ? undefined : `its weight is rank ${weight.rank} (only a [K, N] matrix is converted)`;
}

function convProblem(attr: Record<string, AttrValue>, weight: tf.Tensor): string|undefined {
  const format = decodeString(attr.data_format?.s) ?? 'NHWC';
  if (format !== 'NHWC') {
    return `data format ${format} (only NHWC is supported)`;
  }
  if (weight.rank !== 4) {
    return `its filter is rank ${weight.rank}, not [h, w, in, out]`;
  }
  const strides = intList(attr.strides) ?? [1, 1, 1, 1];
  const dilations = intList(attr.dilations) ?? [1, 1, 1, 1];
  if (strides[0] !== 1 || strides[3] !== 1 || dilations[0] !== 1 || dilations[3] !== 1) {
    return `strides [${strides}] / dilations [${dilations}] on the batch or channel axis`;
  }
  if (Math.max(strides[1], strides[2]) > 1 && Math.max(dilations[1], dilations[2]) > 1) {
    return 'strides and dilations both > 1 (tfjs has no such conv either)';
  }
  if (decodeString(attr.padding?.s) === 'EXPLICIT') {
    const pads = intList(attr.explicit_paddings) ?? [];
    if (pads.length !== 8 || pads.some((p, i) => p !== (i >= 2 && i < 6 ? pads[2] : 0))) {
      return `explicit padding [${pads}] is not the same on every side`;
    }
  }
  return undefined;
}

export function constNode(name: string, value: tf.Tensor): NodeDef {
  const dtype = value.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
  return {
    name,
    op: 'Const',
    attr: {value: {tensor: {dtype, tensorShape: {dim: value.shape.map(size => ({size: String(size)}))}}}, dtype: {type: dtype}}
  };
}
