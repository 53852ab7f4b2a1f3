// Import-map target for @tfjs-blocksparse/core and /layers: their UMD bundles extend one global.
export default globalThis.tfbs;
