// npm run demo: serves the example pages on localhost (after building what changed: scripts/build_if_stale.mjs).
//   node scripts/demo.mjs [--port 8080]
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import {ROOT, serveRepository} from './serve.mjs';

const {values} = parseArgs({options: {port: {type: 'string', default: '8080'}}});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}
const missing = ['core', 'backend-cpu', 'backend-webgl', 'backend-webgpu', 'layers']
                    .map(p => `packages/${p}/dist/tfjs-blocksparse-${p}.js`)
                    .filter(p => !existsSync(join(ROOT, p)));
if (missing.length > 0) {
  console.error(`not built: ${missing.join(', ')}. Run \`npm run demo\` (it builds what changed) or \`npm run build\`.`);
  process.exit(1);
}
try {
  const {url} = await serveRepository(port);
  console.log(`tfjs-blocksparse demos: ${url}/examples/ (benchmarks: ${url}/examples/benchmarks.html)`);
  console.log(
      '  sentiment:        ' +
      `${url}/examples/sentiment/`);
  console.log(
      '  text generation:  ' +
      `${url}/examples/text/`);
  console.log(
      '  image generation: ' +
      `${url}/examples/image/`);
  console.log('Add ?backend=webgpu, webgl, wasm or cpu to pick a backend. Ctrl-C stops the server.');
} catch (e) {
  console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use: try --port 0 (any free port)` : e.message);
  process.exit(1);
}
