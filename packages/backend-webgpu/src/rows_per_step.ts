/**
 * The rows a program handles per workgroup or per step for a batch of
 * `rows`: the smallest power of two that holds them, at most `max`. Rounding
 * to a power of two keeps the compiled variants few (a program is compiled
 * per value), and fewer rows than `max` keep a batch of one from doing the
 * work of `max` rows.
 */
export function rowsPerStep(rows: number, max: number): number {
  return Math.min(max, 2 ** Math.ceil(Math.log2(Math.max(1, rows))));
}
