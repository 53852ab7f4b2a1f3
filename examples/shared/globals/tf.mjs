// Import-map target in the pages: the UMD bundle's global, so that the
// example modules can `import tf from '@tensorflow/tfjs'` in Node and in a page alike.
export default globalThis.tf;
