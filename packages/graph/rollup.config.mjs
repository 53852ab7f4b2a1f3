import {packageBundles} from '../../scripts/rollup_package.mjs';

export default packageBundles('tfjs-blocksparse-graph');
