// Draws the committed speedup plots again from their results, after a change to the plot (report.mjs):
// each docs/benchmarks/<name>.svg from <name>.json's rows and the title line of <name>.md.
//   node scripts/bench/replot.mjs [folder, default docs/benchmarks]
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {speedupPlot} from './report.mjs';

const folder = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'docs', 'benchmarks');
let count = 0;
for (const file of readdirSync(folder).filter(f => f.endsWith('.svg'))) {
  const name = file.slice(0, -'.svg'.length);
  const [json, md] = [join(folder, `${name}.json`), join(folder, `${name}.md`)];
  if (!existsSync(json) || !existsSync(md)) {
    console.log(`${file}: no ${name}.json and .md beside it, left as it is`);
    continue;
  }
  const title = readFileSync(md, 'utf8').split('\n')[0];
  writeFileSync(join(folder, file), speedupPlot(JSON.parse(readFileSync(json, 'utf8')).rows, title));
  count++;
}
console.log(`drew ${count} plots in ${folder}`);
