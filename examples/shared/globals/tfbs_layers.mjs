// Import-map target for @tfjs-blocksparse/layers: its UMD bundle's namespace (as tf.layers is tfjs's).
export default globalThis.tfbs.layers;
