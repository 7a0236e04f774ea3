/** Normalizes each row of a [rows, dimension] matrix in place, so cosine similarity is a dot product. */
export function l2NormalizeRows(matrix: Float32Array, dimension: number): Float32Array {
  for (let offset = 0; offset < matrix.length; offset += dimension) {
    let sumOfSquares = 0;
    for (let i = offset; i < offset + dimension; i++) sumOfSquares += matrix[i] * matrix[i];
    const norm = Math.sqrt(sumOfSquares);
    // An all-zero row stays zero rather than becoming NaN.
    if (norm > 0) for (let i = offset; i < offset + dimension; i++) matrix[i] /= norm;
  }
  return matrix;
}
