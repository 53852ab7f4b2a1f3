import type {SparsifyReport} from './sparsify_weight';

/** The conversion report as a text table, one row per Dense/Conv2D layer, then totals. */
export function formatReport(report: SparsifyReport): string {
  const rows = [['layer', 'class', 'kernel', 'blocks kept', 'density', 'norm kept', 'params', 'float32 bytes', 'note']];
  for (const l of report.layers) {
    rows.push([
      shortName(l.name), l.className, `[${l.kernelShape.join(', ')}]`,
      l.converted ? `${l.blocksKept}/${l.blocksTotal}` : '-', l.converted ? l.density!.toFixed(3) : '-',
      l.converted ? l.normKept!.toFixed(3) : '-', `${l.paramsBefore} -> ${l.paramsAfter}`,
      `${kib(l.bytesBefore)} -> ${kib(l.bytesAfter)}`, l.converted ? 'block-sparse' : `stays dense: ${l.reason}`
    ]);
  }
  const t = report.totals;
  rows.push([
    'total', '', '', `${t.converted} converted`, '', '', `${t.paramsBefore} -> ${t.paramsAfter}`,
    `${kib(t.bytesBefore)} -> ${kib(t.bytesAfter)}`, `whole model ${report.model.paramsBefore} -> ${report.model.paramsAfter} params`
  ]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)));
  return rows.map(r => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

/** Graph node names run to 200 characters of scopes; the last three say which node it is. */
function shortName(name: string): string {
  const parts = name.split('/');
  return name.length > 48 && parts.length > 3 ? `…/${parts.slice(-3).join('/')}` : name;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Bytes in KiB below 1 MiB, in MiB above. */
export function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? kib(bytes) : `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}
