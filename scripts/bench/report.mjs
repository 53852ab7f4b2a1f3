// The benchmark table (text and markdown) and an SVG plot of speedup against density.

/** Wall-clock columns always; GPU kernel-time columns where the rows have them. */
export function formatTable(rows, title) {
  const kernels = rows.every(r => r.kernelSpeedup != null);
  const ms = v => v.toFixed(v < 10 ? 2 : 1);
  const lines = [`${title}`, '',
    '| op | mode | block | density | dense ms | sparse ms | speedup | 1/density | sparse GFLOP/s | dense GFLOP/s | dense host ms | sparse host ms |' +
        (kernels ? ' dense GPU ms | sparse GPU ms | GPU-time speedup |' : ''),
    '|---|---|---|---|---|---|---|---|---|---|---|---|' + (kernels ? '---|---|---|' : '')];
  for (const r of rows) {
    lines.push(`| ${r.op} | ${r.mode} | ${r.blockSize} | 1/${Math.round(1 / r.density)} | ${ms(r.denseMs)} | ${ms(r.sparseMs)} | ${r.speedup.toFixed(2)}x | ${(1 / r.density).toFixed(0)} | ${r.sparseGflops.toFixed(2)} | ${r.denseGflops.toFixed(2)} | ${ms(r.denseHostMs)} | ${ms(r.sparseHostMs)} |` +
        (kernels ? ` ${ms(r.denseKernelMs)} | ${ms(r.sparseKernelMs)} | ${r.kernelSpeedup.toFixed(2)}x |` : ''));
  }
  return lines.join('\n');
}

/** The markdown table of the whole-model rows (scripts/bench/models.mjs). */
export function formatModelTable(rows, title) {
  const ms = t => `${t.median.toFixed(t.median < 10 ? 2 : 1)} (${t.min.toFixed(t.min < 10 ? 2 : 1)}–${t.max.toFixed(t.max < 10 ? 2 : 1)})`;
  const lines = [title, '', '| model | batch | dense ms (min–max) | block-sparse ms (min–max) | speedup |', '|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.model} | ${r.batch} | ${ms(r.dense)} | ${ms(r.sparse)} | ${r.speedup.toFixed(2)}x |`);
  }
  const models = [...new Map(rows.map(r => [r.model, r.what])).entries()];
  lines.push('', ...models.map(([m, what]) => `- ${m}: ${what}`));
  for (const r of rows.filter(row => row.profile != null)) {
    lines.push('', formatProfile(r));
  }
  return lines.join('\n');
}

/** A row's profile (--profile): ms by kernel in one call, dense against block-sparse, largest first. */
function formatProfile({model, batch, profile: {dense, sparse}}) {
  const kernels = [...new Set([...Object.keys(dense), ...Object.keys(sparse)])]
                      .sort((a, b) => Math.max(dense[b] ?? 0, sparse[b] ?? 0) - Math.max(dense[a] ?? 0, sparse[a] ?? 0));
  const total = p => Object.values(p).reduce((a, b) => a + b, 0);
  const cell = v => v == null ? '-' : v.toFixed(2);
  return [
    `Where one call's time goes, ${model} at batch ${batch} (ms by kernel, tf.profile):`, '',
    '| kernel | dense ms | block-sparse ms |', '|---|---|---|',
    ...kernels.map(k => `| ${k} | ${cell(dense[k])} | ${cell(sparse[k])} |`),
    `| all kernels | ${cell(total(dense))} | ${cell(total(sparse))} |`
  ].join('\n');
}

/** Speedup against 1/density on log-log axes, one line per (op, mode, block size), with the ideal y = 1/d. */
export function speedupPlot(rows, title) {
  const width = 720, height = 420, left = 60, right = 220, top = 40, bottom = 50;
  const maxSpeed = Math.max(16, ...rows.map(r => r.speedup));
  const x = inv => left + (Math.log2(inv) / 4) * (width - left - right);
  const y = s => top + (1 - Math.log2(Math.max(s, 0.125)) / Math.log2(maxSpeed) * 0.875 - 0.125) * (height - top - bottom);
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.op} ${r.mode} bs${r.blockSize}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">${title}</text>`,
    `<polyline fill="none" stroke="#000" stroke-dasharray="4 3" points="${[1, 2, 4, 8, 16].map(i => `${x(i)},${y(i)}`).join(' ')}"/>`,
    `<text x="${x(16) + 4}" y="${y(16)}">ideal 1/density</text>`];
  for (const i of [1, 2, 4, 8, 16]) {
    parts.push(`<text x="${x(i) - 8}" y="${height - bottom + 18}">1/${i}</text>`);
  }
  for (const s of [0.25, 0.5, 1, 2, 4, 8, 16]) {
    if (s <= maxSpeed) parts.push(`<text x="10" y="${y(s) + 4}">${s}x</text><line x1="${left}" x2="${width - right}" y1="${y(s)}" y2="${y(s)}" stroke="#eee"/>`);
  }
  parts.push(`<text x="${left + 120}" y="${height - 10}">density (log scale)</text>`);
  [...groups.entries()].forEach(([key, rs], i) => {
    const color = colors[i % colors.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${rs.map(r => `${x(1 / r.density)},${y(r.speedup)}`).join(' ')}"/>`);
    parts.push(`<text x="${width - right + 10}" y="${top + 14 * i}" fill="${color}">${key}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
