export {GRAPH_ACTIVATIONS, GRAPH_CONV2D_OP, GRAPH_MATMUL_OP, graphNodeLayout} from './graph_ops';
