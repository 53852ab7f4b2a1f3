// Importing this package registers the block-sparse kernels on tfjs's wasm backend (WebAssembly SIMD).
import './register_all_kernels';

export {kernelConfigs} from './register_all_kernels';
export {blockSparseWasmReady, blockSparseWasmRelaxedSimd, blockSparseWasmThreads, setBlockSparseWasmThreads} from './kernels/wasm_kernels';
