import pgvector from 'pgvector/pg';
import { InvalidStoreInputError, VectorDimensionMismatchError } from './errors';

/**
 * A vector as the text pgvector parses ("[0.1,0.2]"). pgvector's toSql takes plain arrays only, so
 * a Float32Array is copied into one first; NaN/Infinity are refused before they reach SQL.
 */
export function vectorParam(vector: Float32Array | number[], what: string): string {
  // Checked by tag, not instanceof: vectors transferred from a worker thread can come from another realm.
  if (Object.prototype.toString.call(vector) !== '[object Float32Array]' && !Array.isArray(vector)) {
    throw new InvalidStoreInputError(`${what} must be a Float32Array`);
  }
  if (vector.length === 0) throw new InvalidStoreInputError(`${what} is empty`);
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i]))
      throw new InvalidStoreInputError(`${what}[${i}] is ${vector[i]}, not a finite number`);
  }
  return pgvector.toSql(Array.from(vector)) as string;
}

/** pgvector reports dimension errors as data_exception (22000) with "dimensions" in the message. */
export function asDimensionError(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '22000' && typeof message === 'string' && /dimensions/.test(message)) {
    return new VectorDimensionMismatchError(
      `The vector does not match the database's embedding dimension: ${message}`,
      error,
    );
  }
  return error;
}
