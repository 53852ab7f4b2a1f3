import type {SparsifyReport} from './sparsify_weight';

/** The conversion report as a text table, one row per Dense/Conv2D layer, then totals. */
export function formatReport(report: SparsifyReport): string {
  const calibrated = report.layers.some(l => l.outputError != null || l.refitError != null);
  const timed = report.layers.some(l => l.speedup != null);
  const rows = [[
    'layer', 'class', 'kernel', 'blocks kept', 'density', 'norm kept', ...(calibrated ? ['output error: magnitude -> calibrated'] : []),
    ...(timed ? ['speedup'] : []), 'params', 'memory (float32)', 'note'
  ]];
  for (const l of report.layers) {
    const error = l.outputError != null ? `${l.outputError.magnitude.toFixed(4)} -> ${l.outputError.calibrated.toFixed(4)}` :
        l.refitError != null ? `${l.refitError.original.toFixed(4)} -> ${l.refitError.refit.toFixed(4)} (dense, refit)` :
                               '-';
    rows.push([
      shortName(l.name), l.className, `[${l.kernelShape.join(', ')}]`, l.converted ? `${l.blocksKept}/${l.blocksTotal}` : '-',
      l.converted ? l.density!.toFixed(3) : '-', l.converted ? l.normKept!.toFixed(3) : '-', ...(calibrated ? [error] : []),
      ...(timed ? [l.speedup == null ? '-' : `${l.speedup.toFixed(2)}x`] : []), `${l.paramsBefore} -> ${l.paramsAfter}`,
      `${kib(l.bytesBefore)} -> ${kib(l.bytesAfter)}`,
      l.converted         ? 'block-sparse' :
          l.alreadySparse ? 'already block-sparse: left as it was' :
                            `stays dense: ${l.reason}`
    ]);
  }
  const t = report.totals;
  rows.push([
    'total', '', '', `${t.converted} converted`, '', '', ...(calibrated ? [''] : []), ...(timed ? [''] : []),
    `${t.paramsBefore} -> ${t.paramsAfter}`, `${kib(t.bytesBefore)} -> ${kib(t.bytesAfter)}`,
    `whole model ${report.model.paramsBefore} -> ${report.model.paramsAfter} params`
  ]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)));
  const table = rows.map(r => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
  const macs = t.multiplyAdds;
  const lines = [table];
  if (macs != null) {
    lines.push(
        `multiply-adds of the calibrated layers per input: ${millions(macs.before)} -> ${millions(macs.after)} ` +
        `(${(100 * macs.after / macs.before).toFixed(1)}%)`);
  }
  if (report.budget != null) {
    const {budget, kept, outputError} = report.budget;
    lines.push(
        `budget ${budget}: model output error on the calibration inputs ${outputError.perLayer.toFixed(4)} with densities per layer, ` +
        `${outputError.uniform.toFixed(4)} with ${budget} for all: kept ${
            kept === 'uniform' ? `${budget} for all` : 'densities per layer'}`);
  }
  if (report.tolerance != null) {
    const {tolerance, heldOutInputs, outputError, keptDense, tried} = report.tolerance;
    lines.push(
        `tolerance ${tolerance}: model output error on ${heldOutInputs} held-out calibration inputs ${
            outputError.converted.toFixed(4)} as converted, ` +
        `${outputError.kept.toFixed(4)} with ${keptDense.length} layer${keptDense.length === 1 ? '' : 's'} kept dense` +
        (tried.length > 1 ? ` (tried: ${tried.map(t => `${t.keptDense} dense ${t.outputError.toFixed(4)}`).join(', ')})` : ''));
  }
  if ((report.folded ?? []).length > 0) {
    lines.push(`folded into the layers before them: ${report.folded!.length} norm, bias and activation layers (graph: nodes)`);
  }
  return lines.join('\n');
}

/** Millions above a million, the count below. */
function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${Math.round(n)}`;
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
