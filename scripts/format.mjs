// Formats the TypeScript and JavaScript sources with clang-format (the style
// of .clang-format), as tfjs formats its own; `--check` changes nothing and
// fails naming the files that are not formatted (npm test runs it).
import {execFileSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join} from 'node:path';

import {ROOT} from './serve.mjs';

const clangFormat = createRequire(import.meta.url)('clang-format').getNativeBinary();
const check = process.argv.includes('--check');

// What ESLint lints: the sources, tests, scripts and examples, not generated or AssemblyScript code.
const files = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.js', '*.cjs'], {cwd: ROOT, encoding: 'utf8'})
                  .split('\n')
                  .filter(file => file !== '' && !file.startsWith('packages/backend-wasm/assembly/') && !file.includes('/generated/'));
const unformatted = files.filter(file => {
  const path = join(ROOT, file);
  const source = readFileSync(path, 'utf8');
  // clang-format 15 knows .ts and .js but not .mjs / .cjs: every file is read as TypeScript.
  const formatted =
      execFileSync(clangFormat, ['--style=file', `--assume-filename=${path}.ts`], {input: source, encoding: 'utf8', maxBuffer: 1 << 26});
  if (formatted !== source && !check) {
    writeFileSync(path, formatted);
  }
  return formatted !== source;
});
if (check && unformatted.length > 0) {
  console.error(`not formatted (npm run format formats them):\n  ${unformatted.join('\n  ')}`);
  process.exit(1);
}
console.log(`${files.length} files ${check ? 'checked' : 'formatted'}${check ? '' : `, ${unformatted.length} changed`}`);
