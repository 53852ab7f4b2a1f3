// Import-map target for @tfjs-blocksparse/core: the UMD bundles of core and the backends extend one global.
export default globalThis.tfbs;
