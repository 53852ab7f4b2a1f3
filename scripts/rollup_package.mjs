// Rollup bundles for one package, as tfjs ships them: a CommonJS build for
// Node's require, an ES module bundle and a UMD bundle that extends the
// global `tfbs` (each package adds to it, as tfjs packages add to `tf`).
// The layer classes go to `tfbs.layers`, as tfjs's go to `tf.layers`: one
// flat namespace would let the layer class BlockSparseConv2D replace the
// kernel name BlockSparseConv2D. The private test-util package gets a
// global of its own.
// The bundles start from tsc's ES module output in dist/.
import {nodeResolve} from '@rollup/plugin-node-resolve';

const globals = {
  '@tensorflow/tfjs': 'tf',
  '@tensorflow/tfjs-core': 'tf',
  '@tensorflow/tfjs-backend-cpu': 'tf',
  '@tensorflow/tfjs-backend-webgl': 'tf',
  '@tensorflow/tfjs-backend-webgpu': 'tf',
  '@tensorflow/tfjs-backend-wasm': 'tf',
  '@tensorflow/tfjs-layers': 'tf',
  '@tensorflow/tfjs-converter': 'tf',
  '@tfjs-blocksparse/core': 'tfbs',
  '@tfjs-blocksparse/backend-cpu': 'tfbs',
  '@tfjs-blocksparse/backend-webgl': 'tfbs',
  '@tfjs-blocksparse/backend-webgpu': 'tfbs',
  '@tfjs-blocksparse/backend-wasm': 'tfbs',
  '@tfjs-blocksparse/layers': 'tfbs.layers',
  '@tfjs-blocksparse/graph': 'tfbs',
  '@tfjs-blocksparse/converter': 'tfbs',
};

const external = id => Object.keys(globals).some(name => id === name || id.startsWith(name + '/'));

/** `dependencies`: a package's npm dependencies, left to the user's bundler as tfjs is. */
export function packageBundles(fileBase, globalName = 'tfbs', dependencies = []) {
  return {
    input: 'dist/index.js',
    external: id => external(id) || dependencies.some(name => id === name || id.startsWith(name + '/')),
    plugins: [nodeResolve()],
    onwarn(warning, warn) {
      if (warning.code !== 'THIS_IS_UNDEFINED') warn(warning);
    },
    output: [
      {file: `dist/${fileBase}.node.js`, format: 'cjs', sourcemap: true},
      {file: `dist/${fileBase}.esm.js`, format: 'es', sourcemap: true},
      {file: `dist/${fileBase}.js`, format: 'umd', name: globalName, extend: true, globals, sourcemap: true},
    ],
  };
}
