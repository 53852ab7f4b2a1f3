// The benchmark table (text and markdown) and an SVG plot of speedup against density.

/** Wall-clock columns always; GPU kernel-time columns where the rows have them. */
export function formatTable(rows, title) {
  const kernels = rows.every(r => r.kernelSpeedup != null);
  const ms = v => v.toFixed(v < 10 ? 2 : 1);
  const lines = [
    `${title}`, '',
    '| op | mode | block | density | dense ms | sparse ms | speedup | 1/density | sparse GFLOP/s | dense GFLOP/s | dense host ms | sparse host ms |' +
        (kernels ? ' dense GPU ms | sparse GPU ms | GPU-time speedup |' : ''),
    '|---|---|---|---|---|---|---|---|---|---|---|---|' + (kernels ? '---|---|---|' : '')
  ];
  for (const r of rows) {
    lines.push(
        `| ${r.op} | ${r.mode} | ${r.blockSize} | 1/${Math.round(1 / r.density)} | ${ms(r.denseMs)} | ${ms(r.sparseMs)} | ${
            r.speedup.toFixed(2)}x | ${(1 / r.density).toFixed(0)} | ${r.sparseGflops.toFixed(2)} | ${r.denseGflops.toFixed(2)} | ${
            ms(r.denseHostMs)} | ${ms(r.sparseHostMs)} |` +
        (kernels ? ` ${ms(r.denseKernelMs)} | ${ms(r.sparseKernelMs)} | ${r.kernelSpeedup.toFixed(2)}x |` : ''));
  }
  return lines.join('\n');
}

/** The markdown table of the whole-model rows (scripts/bench/models.mjs). */
export function formatModelTable(rows, title) {
  const ms = t => `${t.median.toFixed(t.median < 10 ? 2 : 1)} (${t.min.toFixed(t.min < 10 ? 2 : 1)}–${t.max.toFixed(t.max < 10 ? 2 : 1)})`;
  // The demo models' rows also time the big dense model (dense at the sparse model's width).
  const withBig = rows.some(r => r.big != null);
  const bigHeader = withBig ? ' big dense ms (min–max) | speedup over big |' : '';
  // Converted models with int8 and float16 blocks: their time, speedups and the weights' MiB on the backend.
  const withInt8 = rows.some(r => r.int8 != null);
  const int8Header = withInt8 ?
      ' int8 blocks ms (min–max) | speedup (int8) | int8 over float32 blocks | float16 blocks ms (min–max) | float16 over float32 blocks | weights MiB dense / float32 blocks / int8 / float16 |' :
      '';
  const mib = bytes => (bytes / 2 ** 20).toFixed(2);
  const lines = [
    title, '', `| model | batch | dense ms (min–max) | block-sparse ms (min–max) | speedup |${bigHeader}${int8Header}`,
    `|---|---|---|---|---|${withBig ? '---|---|' : ''}${withInt8 ? '---|---|---|---|---|---|' : ''}`
  ];
  for (const r of rows) {
    const big = !withBig ? '' : r.big == null ? ' | |' : ` ${ms(r.big)} | ${r.speedupOverBig.toFixed(2)}x |`;
    const int8 = !withInt8 ? '' :
        r.int8 == null     ? ' | | | | | |' :
                             ` ${ms(r.int8)} | ${r.int8Speedup.toFixed(2)}x | ${r.int8OverFloat.toFixed(2)}x | ${ms(r.float16)} | ${
                             r.halfOverFloat.toFixed(
                                     2)}x | ${mib(r.bytes.dense)} / ${mib(r.bytes.sparse)} / ${mib(r.bytes.int8)} / ${mib(r.bytes.float16)} |`;
    lines.push(`| ${r.model} | ${r.batch} | ${ms(r.dense)} | ${ms(r.sparse)} | ${r.speedup.toFixed(2)}x |${big}${int8}`);
  }
  // GPU time (webgpu with timestamp queries): the kernels' time per call, without tfjs's and the driver's per-call costs.
  const gpuRows = rows.filter(r => r.gpu != null);
  if (gpuRows.length > 0) {
    const variants = [...new Set(gpuRows.flatMap(r => Object.keys(r.gpu)))];
    lines.push(
        '', 'GPU time per call (median of the runs\' timestamp queries), ms:', '',
        `| model | batch | ${variants.join(' | ')} | speedup (GPU) |`, `|---|---|${variants.map(() => '---|').join('')}---|`,
        ...gpuRows.map(
            r => `| ${r.model} | ${r.batch} | ${variants.map(v => r.gpu[v] == null ? '' : r.gpu[v].toFixed(3)).join(' | ')} | ${
                r.gpuSpeedup.toFixed(2)}x |`));
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
  const kernels = [...new Set([...Object.keys(dense), ...Object.keys(sparse)])].sort(
      (a, b) => Math.max(dense[b] ?? 0, sparse[b] ?? 0) - Math.max(dense[a] ?? 0, sparse[a] ?? 0));
  const total = p => Object.values(p).reduce((a, b) => a + b, 0);
  const cell = v => v == null ? '-' : v.toFixed(2);
  return [
    `Where one call's time goes, ${model} at batch ${batch} (ms by kernel, tf.profile):`, '', '| kernel | dense ms | block-sparse ms |',
    '|---|---|---|', ...kernels.map(k => `| ${k} | ${cell(dense[k])} | ${cell(sparse[k])} |`),
    `| all kernels | ${cell(total(dense))} | ${cell(total(sparse))} |`
  ].join('\n');
}

/** Splits a title into lines of at most `limit` characters, at spaces. */
function wrapTitle(title, limit) {
  const lines = [''];
  for (const word of title.split(' ')) {
    if (lines.at(-1).length > 0 && lines.at(-1).length + 1 + word.length > limit) {
      lines.push('');
    }
    lines[lines.length - 1] += (lines.at(-1).length > 0 ? ' ' : '') + word;
  }
  return lines;
}

/**
 * Speedup against 1/density on log-log axes, one line per (op, mode, block size), with the ideal y = 1/d. The
 * title wraps, the speedup axis is labelled up to the largest speedup, and the legend (ideal first) keeps to
 * the right margin; a viewBox lets the picture shrink to a phone's width.
 */
export function speedupPlot(rows, title) {
  const titleLines = wrapTitle(title, 95);
  const width = 640, left = 64, right = 160, top = 30 + 16 * titleLines.length, bottom = 50;
  const height = 400 + top;
  const maxSpeed = Math.max(16, ...rows.map(r => r.speedup));
  const x = inv => left + (Math.log2(inv) / 4) * (width - left - right);
  const minSpeed = 0.25;
  const y = s => top + (1 - Math.log2(Math.max(s, minSpeed) / minSpeed) / Math.log2(maxSpeed / minSpeed)) * (height - top - bottom);
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.op} ${r.mode} bs${r.blockSize}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const colors =
      ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];
  const legend = i => top + 14 * i;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${
        height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...titleLines.map((line, i) => `<text x="10" y="${20 + 16 * i}" font-size="13">${line}</text>`),
    `<polyline fill="none" stroke="#000" stroke-dasharray="4 3" points="${[1, 2, 4, 8, 16].map(i => `${x(i)},${y(i)}`).join(' ')}"/>`,
    `<line x1="${width - right + 10}" x2="${width - right + 34}" y1="${legend(0) - 4}" y2="${
        legend(0) - 4}" stroke="#000" stroke-dasharray="4 3"/>`,
    `<text x="${width - right + 40}" y="${legend(0)}">ideal: 1/density</text>`
  ];
  for (const i of [1, 2, 4, 8, 16]) {
    parts.push(`<text x="${x(i)}" y="${height - bottom + 18}" text-anchor="middle">1/${i}</text>`);
  }
  // Every power of 2 while they fit; every power of 4 above 64x.
  const ticks = [];
  for (let s = minSpeed; s <= maxSpeed; s *= maxSpeed > 64 ? 4 : 2) {
    ticks.push(s);
  }
  for (const s of ticks) {
    parts.push(`<text x="${left - 6}" y="${y(s) + 4}" text-anchor="end">${s}x</text><line x1="${left}" x2="${width - right}" y1="${
        y(s)}" y2="${y(s)}" stroke="#eee"/>`);
  }
  parts.push(
      `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">density (log scale)</text>`,
      `<text x="14" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${
          (top + height - bottom) / 2})">speedup over dense (log scale)</text>`);
  [...groups.entries()].forEach(([key, rs], i) => {
    const color = colors[i % colors.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${
        rs.map(r => `${x(1 / r.density)},${y(r.speedup)}`).join(' ')}"/>`);
    parts.push(`<text x="${width - right + 10}" y="${legend(i + 1)}" fill="${color}">${key}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The markdown table of the int8 rows (cases.mjs's runInt8Benchmarks). */
export function formatInt8Table(rows, title) {
  const ms = v => v.toFixed(v < 10 ? 2 : 1);
  const mib = bytes => (bytes / 2 ** 20).toFixed(2);
  const lines = [
    title, '',
    '| batch | block | density | dense float32 ms | float32 blocks ms | int8 blocks ms | int8 over float32 blocks | int8 over dense | float32 blocks MiB | int8 blocks MiB | int8 max error | float16 blocks ms | float16 over float32 blocks | float16 blocks MiB | float16 max error |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
  ];
  for (const r of rows) {
    lines.push(`| ${r.batch} | ${r.blockSize} | 1/${Math.round(1 / r.density)} | ${ms(r.denseMs)} | ${ms(r.floatMs)} | ${ms(r.int8Ms)} | ${
        r.int8OverFloat.toFixed(
            2)}x | ${r.int8OverDense.toFixed(2)}x | ${mib(r.floatBytes)} | ${mib(r.int8Bytes)} | ${r.maxError.toExponential(1)} | ${
        ms(r.halfMs)} | ${r.halfOverFloat.toFixed(2)}x | ${mib(r.halfBytes)} | ${r.halfMaxError.toExponential(1)} |`);
  }
  // GPU time (webgpu with timestamp queries): what the kernels take, without tfjs's and the driver's per-call costs.
  const gpuRows = rows.filter(r => r.denseKernelMs != null);
  if (gpuRows.length > 0) {
    const gpuMs = v => v.toFixed(3);
    lines.push(
        '', 'GPU time per call (median of the runs\' timestamp queries):', '',
        '| batch | block | density | dense float32 ms | float32 blocks ms | int8 blocks ms | int8 over float32 blocks | float16 blocks ms | float16 over float32 blocks |',
        '|---|---|---|---|---|---|---|---|---|',
        ...gpuRows.map(
            r => `| ${r.batch} | ${r.blockSize} | 1/${Math.round(1 / r.density)} | ${gpuMs(r.denseKernelMs)} | ${
                gpuMs(r.floatKernelMs)} | ${gpuMs(r.int8KernelMs)} | ${r.int8OverFloatKernel.toFixed(2)}x | ${gpuMs(r.halfKernelMs)} | ${
                r.halfOverFloatKernel.toFixed(2)}x |`));
  }
  return lines.join('\n');
}
