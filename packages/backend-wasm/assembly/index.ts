// The block-sparse kernels in WebAssembly SIMD, run on tfjs-backend-wasm's own memory (imported as env.memory).
export {productBroadcast, productBroadcastHalf} from './product_broadcast';
export {productDot} from './product_dot';
export {gradW} from './grad_w';
export {productInt8} from './product_int8';
export {quantizeRows, widenBlocks} from './int8_rows';
export {lstmGates} from './lstm_gates';
export {widenHalves} from './float16';
