// Batches from flat typed arrays, in Node and in a page.

/** The rows `indices` of `data` (rows of rowLength values, one after another), in that order, as one array of data's type. */
export function gatherRows(data, rowLength, indices) {
  const out = new data.constructor(indices.length * rowLength);
  indices.forEach((r, i) => out.set(data.subarray(r * rowLength, (r + 1) * rowLength), i * rowLength));
  return out;
}
