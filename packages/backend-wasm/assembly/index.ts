// The block-sparse kernels in WebAssembly SIMD, run on tfjs-backend-wasm's own memory (imported as env.memory).
export {productBroadcast} from './product_broadcast';
export {productDot} from './product_dot';
export {gradW} from './grad_w';
