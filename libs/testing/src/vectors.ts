/** A deterministic pseudo-random unit vector per seed: test catalogs that need no model. */
export function seededUnitVector(seed: number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  let state = (seed + 1) * 2654435761;
  for (let i = 0; i < dimension; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    vector[i] = state / 2147483648 - 0.5;
  }
  const norm = Math.hypot(...vector);
  return vector.map((v) => v / norm);
}

/** Cosine similarity of two unit vectors. */
export const cosine = (a: Float32Array, b: Float32Array): number =>
  a.reduce((sum, v, i) => sum + v * (b[i] as number), 0);
