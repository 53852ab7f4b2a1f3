// A read-only static server for the repository root on 127.0.0.1: the demo
// pages and the browser benchmark load the built bundles, the examples and
// the npm data packages from it.
import {createReadStream, existsSync, statSync} from 'node:fs';
import {createServer} from 'node:http';
import {extname, join, normalize, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = normalize(join(fileURLToPath(import.meta.url), '..', '..'));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.md': 'text/plain; charset=utf-8',
};

// Cross-origin isolation gives pages SharedArrayBuffer, so tfjs-backend-wasm
// (and the block-sparse wasm kernels) may run threads; every resource here
// is same-origin, so nothing else changes.
const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp'
};

/** Resolves to {server, url}; port 0 picks a free one. A directory serves its index.html; / goes to the demos. */
export async function serveRepository(port = 0) {
  const server = createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    if (pathname === '/') {
      // The repository root has nothing to show: the demos do.
      res.writeHead(302, {Location: '/examples/'}).end();
      return;
    }
    let path = normalize(join(ROOT, decodeURIComponent(pathname)));
    if (path !== ROOT && !path.startsWith(ROOT + sep)) {
      res.writeHead(404).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) {
      if (!req.url.split('?')[0].endsWith('/')) {
        res.writeHead(301, {Location: `${req.url.split('?')[0]}/${req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''}`})
            .end();
        return;
      }
      path = join(path, 'index.html');
    }
    if (!existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', ...CROSS_ORIGIN_ISOLATION});
    createReadStream(path).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {server, url: `http://127.0.0.1:${server.address().port}`};
}
