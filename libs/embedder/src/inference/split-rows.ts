/** The rows of a row-major `dimension`-wide matrix, as views on it. */
export function splitRows(matrix: Float32Array, dimension: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let offset = 0; offset < matrix.length; offset += dimension)
    rows.push(matrix.subarray(offset, offset + dimension));
  return rows;
}
