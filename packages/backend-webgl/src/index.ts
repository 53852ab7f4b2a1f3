// Importing this package registers the block-sparse kernels on tfjs's webgl backend.
import './register_all_kernels';

export {kernelConfigs} from './register_all_kernels';
