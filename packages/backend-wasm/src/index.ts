// Importing this package registers the block-sparse kernels on tfjs's wasm backend (WebAssembly SIMD).
import './register_all_kernels';

export {kernelConfigs} from './register_all_kernels';
export {blockSparseWasmRelaxedSimd} from './kernels/kernel_modules';
export {blockSparseWasmReady, blockSparseWasmThreads, setBlockSparseWasmThreads} from './kernels/wasm_kernels';
