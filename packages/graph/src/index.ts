import {version_converter} from '@tensorflow/tfjs-converter';
import {backend_util} from '@tfjs-blocksparse/core';

export {GRAPH_ACTIVATIONS, GRAPH_CONV2D_OP, GRAPH_MATMUL_OP, graphNodeLayout} from './graph_ops';

backend_util.checkTfjsVersion('@tfjs-blocksparse/graph', '@tensorflow/tfjs-converter', version_converter);
