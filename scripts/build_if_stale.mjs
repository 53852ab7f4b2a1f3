// Runs `npm run build` only when a package's sources are newer than its
// built bundles (or a bundle is missing), so that `npm run demo` and
// `npm run bench` start in seconds on a built tree. `npm test` always builds.
import {execFileSync} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';

import {ROOT} from './serve.mjs';

/** Newest modification time of the files under `path` (a file or a folder), 0 when absent. */
function newest(path) {
  if (!existsSync(path)) {
    return 0;
  }
  const stat = statSync(path);
  return stat.isDirectory() ? Math.max(0, ...readdirSync(path).map(name => newest(join(path, name)))) : stat.mtimeMs;
}

const SOURCES = ['src', 'assembly', 'scripts', 'package.json', 'tsconfig.json', 'rollup.config.mjs'];
const packages = readdirSync(join(ROOT, 'packages'));
const stale = packages.filter(name => {
  const dir = join(ROOT, 'packages', name);
  const bundle = join(dir, 'dist', `tfjs-blocksparse-${name}.node.js`);
  const inputs = Math.max(...SOURCES.map(s => newest(join(dir, s))), newest(join(ROOT, 'scripts', 'rollup_package.mjs')));
  return existsSync(join(dir, 'rollup.config.mjs')) && (!existsSync(bundle) || statSync(bundle).mtimeMs < inputs);
});
if (stale.length > 0) {
  console.log(`building (sources changed or not built: ${stale.join(', ')})`);
  execFileSync('npm', ['run', 'build'], {cwd: ROOT, stdio: 'inherit'});
}
