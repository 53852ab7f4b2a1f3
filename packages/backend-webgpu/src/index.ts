// Importing this package registers the block-sparse kernels on tfjs's webgpu backend.
import './register_all_kernels';

export {kernelConfigs} from './register_all_kernels';
