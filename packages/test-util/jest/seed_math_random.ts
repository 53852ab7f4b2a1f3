// Every test file starts from the same Math.random sequence: tfjs's initializers, shuffles and random ops
// without a seed draw from it, so a test that forgets a seed still runs the same way every time.
import {seededRandom} from '@tfjs-blocksparse/core';

Math.random = seededRandom(20261202);
