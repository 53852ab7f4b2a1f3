import * as tf from '@tensorflow/tfjs';
import {seededRandom, shuffleInPlace} from '@tfjs-blocksparse/core';

import {agreementOf, areProbabilities, asModelInput, fixedBatchSize, heldOutSplit, predictInBatches} from './fidelity';
import {registerMissingGradients} from './missing_gradients';
import {artifactsOf} from './model_artifacts';
import {blockSparseWeightNames, NodeDef} from './sparsify_graph';

type Model = tf.LayersModel|tf.GraphModel;

export interface DistillOptions {
  /** Unlabelled inputs, [n, ...input shape]: no labels are needed, the teacher's outputs are the targets. */
  inputs: tf.Tensor;
  /** Most passes over the training inputs (default 20). */
  epochs?: number;
  /** Examples per step (default 32; a graph made for one batch size: that size). */
  batchSize?: number;
  learningRate?: number;
  /** Fraction of the inputs held out to measure agreement and stop early (default 0.2). */
  heldOut?: number;
  /** Epochs without a better held-out loss before stopping (default 3). */
  patience?: number;
  /** How agreement is measured; default: top-1 where the teacher outputs probabilities (softmax), else relative error. */
  metric?: DistillReport['metric'];
  /** Seeds which inputs are held out and the order examples are visited in (default 0): the same call gives the same model. */
  seed?: number;
  onEpoch?: (epoch: number, epochs: number, logs: {loss: number, heldOutLoss: number, agreement: number}) => void;
  /** After each training step: the step within the epoch, the epoch's steps, and the step's loss. */
  onStep?: (step: number, steps: number, loss: number) => void;
}

export interface DistillReport {
  /**
   * 'top-1 agreement' (fraction of held-out inputs where student and teacher pick the same class; higher is better)
   *  or 'relative error' (||student - teacher|| / ||teacher|| over the held-out outputs; lower is better).
   */
  metric: 'top-1 agreement'|'relative error';
  before: number;
  after: number;
  /** The held-out distillation loss (KL divergence or mean squared error) before and after. */
  lossBefore: number;
  lossAfter: number;
  epochs: number;
  stoppedEarly: boolean;
  /** No epoch bettered the converted model's held-out loss: the returned model holds the weights it was given. */
  keptConverted: boolean;
  trainInputs: number;
  heldOutInputs: number;
}

/**
 * Throws unless distill can train towards `teacher` in batches of `batchSize`:
 * a model with one output; a graph made for one batch size (MoveNet's
 * [1, 192, 192, 3]) trains in batches of that size, its default. Returns the
 * batch size (default 32).
 */
export function checkDistillable(teacher: Model, batchSize?: number): number {
  if (teacher.outputs.length !== 1) {
    throw new Error(`distill: the model has ${teacher.outputs.length} outputs; distill takes models with one`);
  }
  const fixedBatch = fixedBatchSize(teacher);
  if (fixedBatch != null && batchSize != null && batchSize !== fixedBatch) {
    throw new Error(
        `distill: the model takes batches of exactly ${fixedBatch} (input shape [${teacher.inputs[0].shape}]); ` +
        `give batchSize ${fixedBatch}, got ${batchSize}`);
  }
  return batchSize ?? fixedBatch ?? 32;
}

/**
 * Fine-tunes a block-sparse `student` to reproduce its dense `teacher`'s
 * outputs (soft targets) on unlabelled inputs, as knowledge distillation
 * does: KL divergence where the outputs are probabilities, squared error
 * otherwise. Keeps the weights of the epoch with the best held-out loss.
 *
 * A LayersModel student is trained in place (its trainable weights: layers it
 * marks `trainable: false` stay as they are, as model.fit leaves them). A
 * GraphModel student has its block-sparse weights and their fused biases
 * trained as variables; the returned model holds the trained weights (save
 * that one: tfjs's GraphModel.save writes the weights a model was loaded
 * with), and the student passed in is disposed.
 */
export async function distill<M extends Model>(
    teacher: Model, student: M, options: DistillOptions): Promise<{model: M, report: DistillReport}> {
  const {inputs, epochs = 20, learningRate = 1e-3, heldOut = 0.2, patience = 3, seed = 0} = options;
  const batchSize = checkDistillable(teacher, options.batchSize);
  if (!(inputs instanceof tf.Tensor) || inputs.rank < 1 || inputs.shape[0] < 2) {
    throw new Error('distill: inputs must be a tensor of at least 2 examples [n, ...input shape]');
  }
  if (!(heldOut > 0 && heldOut < 1) || !(epochs >= 0) || !(batchSize >= 1) || !(learningRate > 0)) {
    throw new Error(
        `distill: need 0 < heldOut < 1, epochs >= 0, batchSize >= 1 and learningRate > 0; got ` +
        `${heldOut}, ${epochs}, ${batchSize}, ${learningRate}`);
  }
  registerMissingGradients();
  const n = inputs.shape[0];
  const random = seededRandom(seed);
  // Batches are gathered from the inputs themselves (no copy of them is made).
  const [held, train] = heldOutSplit(n, heldOut, random);
  held.sort();
  const [nHeld, nTrain] = [held.length, train.length];
  // What is made here is given back in `finally`, also when the teacher's predictions or training throw.
  const targets: tf.Tensor[] = [];
  const optimizer = tf.train.adam(learningRate);
  try {
    targets.push(predictInBatches(teacher, inputs, batchSize, train));
    targets.push(predictInBatches(teacher, inputs, batchSize, held));
    const [trainTargets, heldTargets] = targets;
    const probabilities = areProbabilities(heldTargets);
    const classifier = (options.metric ?? (probabilities ? 'top-1 agreement' : 'relative error')) === 'top-1 agreement';
    const {variables, forward, finish} = await trainable(student);
    const evaluate = () => tf.tidy(() => {
      const out = predictInBatches({predict: x => forward(x)}, inputs, batchSize, held);
      return {loss: distillLoss(out, heldTargets, probabilities).dataSync()[0], agreement: agreementOf(out, heldTargets, classifier)};
    });
    const start = evaluate();
    let best = {loss: start.loss, agreement: start.agreement, weights: variables.map(v => tf.keep(tf.clone(v)))};
    let epoch = 0;
    let sinceBest = 0;
    while (epoch < epochs && sinceBest < patience) {
      let total = 0;
      const order = shuffleInPlace(Int32Array.from({length: nTrain}, (_, i) => i), random);
      for (let i = 0; i < order.length; i += batchSize) {
        const loss = tf.tidy(() => {
          const positions = order.subarray(i, i + batchSize);
          const [x, target] = [tf.gather(inputs, Array.from(positions, p => train[p])), tf.gather(trainTargets, positions)];
          return optimizer.minimize(() => distillLoss(forward(x), target, probabilities), true, variables)!;
        });
        const value = loss.dataSync()[0];
        total += value * Math.min(batchSize, order.length - i);
        loss.dispose();
        options.onStep?.(i / batchSize + 1, Math.ceil(order.length / batchSize), value);
        await tf.nextFrame();
      }
      epoch++;
      const now = evaluate();
      options.onEpoch?.(epoch, epochs, {loss: total / order.length, heldOutLoss: now.loss, agreement: now.agreement});
      if (now.loss < best.loss) {
        tf.dispose(best.weights);
        best = {...now, weights: variables.map(v => tf.keep(tf.clone(v)))};
        sinceBest = 0;
      } else {
        sinceBest++;
      }
    }
    variables.forEach((v, i) => v.assign(best.weights[i]));
    tf.dispose(best.weights);
    return {
      model: await finish() as M,
      report: {
        metric: classifier ? 'top-1 agreement' : 'relative error',
        before: start.agreement,
        after: best.agreement,
        lossBefore: start.loss,
        lossAfter: best.loss,
        epochs: epoch,
        stoppedEarly: epoch < epochs,
        keptConverted: !(best.loss < start.loss),
        trainInputs: nTrain,
        heldOutInputs: nHeld
      }
    };
  } finally {
    tf.dispose(targets);
    optimizer.dispose();
  }
}

function distillLoss(student: tf.Tensor, teacher: tf.Tensor, probabilities: boolean): tf.Scalar {
  return tf.tidy(() => {
    if (probabilities) {
      const eps = 1e-7;
      const kl = tf.mul(teacher, tf.sub(tf.log(tf.add(teacher, eps)), tf.log(tf.add(student, eps))));
      return tf.mean(tf.sum(kl, -1));
    }
    return tf.mean(tf.squaredDifference(student, teacher));
  });
}

interface Trainable {
  variables: tf.Variable[];
  forward: (x: tf.Tensor) => tf.Tensor;
  /** The trained model, once training is over. */
  finish: () => Promise<Model>;
}

async function trainable(student: Model): Promise<Trainable> {
  if (student instanceof tf.GraphModel) {
    return trainableGraph(student);
  }
  // BatchNorm and Dropout stay in inference mode: the teacher's statistics are the right ones.
  return {
    variables: student.trainableWeights.map(w => w.read() as tf.Variable),
    forward: x => student.apply(x, {training: false}) as tf.Tensor,
    finish: async () => student
  };
}

/**
 * Makes a converted graph model's block-sparse weights and fused biases
 * variables in its weight map (tfjs-converter reads constants from that map
 * on every execute, and never disposes them).
 */
async function trainableGraph(student: tf.GraphModel): Promise<Trainable> {
  const artifacts = await artifactsOf(student);
  const names = blockSparseWeightNames((artifacts.modelTopology as {node: NodeDef[]}).node);
  if (names.length === 0) {
    throw new Error('distill: the graph model has no block-sparse nodes to train (convert it first)');
  }
  const weightMap = student.weights;
  const variables = names.filter(name => weightMap[name] != null).map(name => {
    const variable = tf.variable(weightMap[name][0]);
    weightMap[name][0].dispose();
    weightMap[name] = [variable];
    return variable;
  });
  return {
    variables,
    // Inputs come as float32; a graph may take another dtype (MoveNet: int32 pixels).
    forward: x => student.execute(asModelInput(student, x)) as tf.Tensor,
    finish: async () => {
      const tensors = Object.fromEntries(Object.entries(weightMap).map(([name, [tensor]]) => [name, tensor]));
      const {data, specs} = await tf.io.encodeWeights(tensors);
      const trained = await tf.loadGraphModel(tf.io.fromMemory({...artifacts, weightSpecs: specs, weightData: data}));
      student.dispose();
      return trained;
    }
  };
}
