import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {bandedLayout, BlockLayout, BlockLayoutJSON, randomLayout, smallWorldLayout, sparsify} from '@tfjs-blocksparse/core';

/**
 * How the layout was made: by a generator, or ('magnitude') kept by block
 * magnitude from a trained dense weight (magnitudeLayout, the converter),
 * which a layer cannot redo and so always comes with an explicit layout.
 */
export type LayoutKind = 'random'|'smallWorld'|'banded'|'magnitude';

/** How a block-sparse layer gets its layout, shared by every layer here. */
export interface BlockSparseLayoutArgs {
  /** Side of the square blocks; must divide the layer's input and output sizes. Default: the explicit layout's. */
  blockSize?: number;
  /** Fraction of blocks kept, in [0, 1]. Default 0.25. Ignored with an explicit layout. */
  density?: number;
  /** Generator of the layout when none is given ('magnitude' only records how an explicit one was made). Default 'random'. */
  layoutKind?: LayoutKind;
  /** Seed of the generator. Default 0. */
  seed?: number;
  /** An explicit layout (or its JSON), which must fit the input and output sizes. */
  layout?: BlockLayout|BlockLayoutJSON;
}

const GENERATORS = {
  random: randomLayout,
  smallWorld: smallWorldLayout,
  banded: bandedLayout
};
const KINDS = [...Object.keys(GENERATORS), 'magnitude'];

/**
 * tfjs-layers converts string config values between camelCase and
 * snake_case on save and load, so 'small_world' must read as 'smallWorld'.
 */
function parseKind(kind: string, layer: string): LayoutKind {
  const camel = kind.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  if (!KINDS.includes(camel)) {
    throw new Error(`${layer}: layoutKind must be one of ${KINDS.join(', ')}, got '${kind}'`);
  }
  return camel as LayoutKind;
}

/** The block size asked for, or the explicit layout's. */
export function blockSizeOf(args: BlockSparseLayoutArgs): number|undefined {
  return args.blockSize ?? args.layout?.blockSize;
}

export function checkLayoutArgs(args: BlockSparseLayoutArgs, layer: string) {
  const blockSize = blockSizeOf(args);
  if (!Number.isInteger(blockSize) || blockSize! <= 0) {
    throw new Error(`${layer}: blockSize must be a positive integer (or come from an explicit layout), got ${args.blockSize}`);
  }
  const density = args.density ?? 0.25;
  if (!(density >= 0 && density <= 1)) {
    throw new Error(`${layer}: density must be in [0, 1], got ${density}`);
  }
  if (parseKind(args.layoutKind ?? 'random', layer) === 'magnitude' && args.layout == null) {
    throw new Error(
        `${layer}: layoutKind 'magnitude' needs an explicit layout (magnitudeLayout of a trained weight, or ` +
        'sparsifyModel); a layer generates only random, smallWorld or banded layouts');
  }
}

/** The layer's layout for a dense [inputSize, outputSize] weight: explicit, or generated. */
export function resolveLayout(args: BlockSparseLayoutArgs, inputSize: number, outputSize: number, layer: string): BlockLayout {
  let layout: BlockLayout;
  if (args.layout != null) {
    layout = args.layout instanceof BlockLayout ? args.layout : BlockLayout.fromJSON(args.layout);
  } else {
    const spec = {inputSize, outputSize, blockSize: blockSizeOf(args)!, density: args.density ?? 0.25, seed: args.seed ?? 0};
    try {
      layout = GENERATORS[parseKind(args.layoutKind ?? 'random', layer) as keyof typeof GENERATORS](spec);
    } catch (e) {
      throw new Error(`${layer}: ${(e as Error).message}`, {cause: e});
    }
  }
  if (layout.blockSize !== blockSizeOf(args) || layout.inputSize !== inputSize || layout.outputSize !== outputSize) {
    throw new Error(
        `${layer}: the layout (block size ${layout.blockSize}, ${layout.inputSize} x ` +
        `${layout.outputSize}) does not fit blockSize ${blockSizeOf(args)} and a ` +
        `${inputSize} x ${outputSize} weight`);
  }
  return layout;
}

/** Layout arguments as they go into getConfig: the realised layout, as numbers only. */
export function layoutConfig(args: BlockSparseLayoutArgs, layout: BlockLayout|undefined): tf.serialization.ConfigDict {
  const config: tf.serialization.ConfigDict = {
    blockSize: blockSizeOf(args)!,
    density: layout?.density ?? args.density ?? 0.25,
    layoutKind: args.layoutKind ?? 'random',
    seed: args.seed ?? 0,
  };
  const json = layout?.toJSON() ?? (args.layout instanceof BlockLayout ? args.layout.toJSON() : args.layout);
  if (json != null) {
    config.layout = json as unknown as tf.serialization.ConfigDict;
  }
  return config;
}

/** The shape of a layer's (first) input. */
export function singleShape(inputShape: tfl.Shape|tfl.Shape[]): tfl.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
}

/** The given entries of the config of the tfjs layer a block-sparse layer mirrors. */
export function mirroredConfig(template: tfl.layers.Layer, keys: string[]): tf.serialization.ConfigDict {
  const config = template.getConfig();
  return Object.fromEntries(keys.map(k => [k, config[k]]));
}

export type Initializer = ReturnType<typeof tfl.initializers.ones>;
export type Regularizer = Parameters<tfl.layers.Layer['addWeight']>[4];
export type Constraint = Parameters<tfl.layers.Layer['addWeight']>[6];
export type Activation = {
  apply(x: tf.Tensor): tf.Tensor,
  getClassName(): string
};

// tfjs-layers exports initializer factories but not their base class.
export const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as {new (): Initializer};

/**
 * Initialises a packed weight as the wrapped initializer would the dense
 * weight [..., K, N], keeping the kept blocks: a block-sparse layer starts
 * with the same per-weight scale as its dense twin.
 */
export class PackedInitializer extends InitializerBase {
  static className = 'PackedInitializer';

  constructor(private readonly dense: Initializer, private readonly denseShape: number[], private readonly layout: BlockLayout) {
    super();
  }

  apply(): tf.Tensor {
    return tf.tidy(() => sparsify(this.dense.apply(this.denseShape), this.layout));
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
