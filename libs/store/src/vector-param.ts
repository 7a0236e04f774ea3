import { InvalidStoreInputError, VectorDimensionMismatchError } from './errors';

/**
 * Refuses a vector with a NaN or an infinity by name. Only query vectors need it: embeddings are
 * checked where their job's fate is decided (the batch), and pgvector refuses such values anyway.
 */
export function requireFiniteVector(vector: Float32Array, what: string): void {
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i]))
      throw new InvalidStoreInputError(`${what}[${i}] is ${vector[i]}, not a finite number`);
  }
}

/** pgvector's binary wire format caps the dimension at an int16 (the type itself allows 16000). */
const MAX_BINARY_DIMENSION = 0x7fff;

/**
 * A vector in pgvector's binary format (vector_recv: int16 dimension, int16 unused, then each value
 * as a big-endian float4), for a `$n::vector` parameter: node-postgres sends a Buffer parameter in
 * binary, so the values travel as the float32s they are, with no decimal text to print or parse.
 */
export function vectorBinaryParam(vector: Float32Array | number[], what: string): Buffer {
  // Checked by tag, not instanceof: vectors transferred from a worker thread can come from another realm.
  if (Object.prototype.toString.call(vector) !== '[object Float32Array]' && !Array.isArray(vector)) {
    throw new InvalidStoreInputError(`${what} must be a Float32Array`);
  }
  if (vector.length === 0) throw new InvalidStoreInputError(`${what} is empty`);
  if (vector.length > MAX_BINARY_DIMENSION)
    throw new InvalidStoreInputError(
      `${what} has ${vector.length} dimensions, over pgvector's ${MAX_BINARY_DIMENSION}`,
    );
  const bytes = Buffer.allocUnsafe(4 + 4 * vector.length);
  bytes.writeInt16BE(vector.length, 0);
  bytes.writeInt16BE(0, 2);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatBE(vector[i] as number, 4 + 4 * i);
  return bytes;
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
