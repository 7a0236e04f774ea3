import { VectorizerError, meaningOf } from '@vectorizer/errors';
import type { EmbeddingRow } from '@vectorizer/store';

export type Dependency = 'postgres' | 'redis';

/**
 * Postgres or Redis did not answer while a job was being finished. Not the product's fault: the
 * job goes back to the queue without using an attempt and the worker pauses until the dependency
 * is back.
 */
export class DependencyUnavailableError extends VectorizerError {
  constructor(
    readonly dependency: Dependency,
    cause: unknown,
  ) {
    super(
      dependency === 'postgres' ? 'POSTGRES_UNAVAILABLE' : 'REDIS_UNAVAILABLE',
      `${dependency === 'postgres' ? 'PostgreSQL' : 'Redis'} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        hint:
          dependency === 'postgres'
            ? 'The worker pauses and resumes by itself once DATABASE_URL answers again; check the database server.'
            : 'The worker pauses and resumes by itself once REDIS_URL answers again; check the Redis server.',
        cause,
      },
    );
  }
}

/** The job asks for another model than the one this worker loaded. */
export class JobModelMismatchError extends VectorizerError {
  constructor(
    readonly jobModel: string,
    readonly workerModel: string,
  ) {
    super('JOB_MODEL_MISMATCH', `the job asks for model ${jobModel} but this worker runs ${workerModel}`, {
      hint: `Run a worker with the model ${jobModel}, or enqueue the products again for ${workerModel} (\`npx vectorizer enqueue\`).`,
    });
  }
}

/** The model's vector for one image cannot be stored (NaN/Infinity, or the wrong length). */
export class InvalidEmbeddingError extends VectorizerError {
  constructor(code: 'EMBEDDING_NOT_FINITE' | 'VECTOR_DIMENSION_MISMATCH', productId: string, reason: string) {
    super(code, `the embedding of product ${productId} cannot be stored: ${reason}`, { hint: meaningOf(code).hint });
  }
}

/** PostgreSQL refused this one row (found by splitting a refused batch write). */
export class EmbeddingRowRejectedError extends VectorizerError {
  constructor(row: EmbeddingRow, cause: unknown) {
    const sqlState = (cause as { code?: unknown })?.code;
    super(
      'EMBEDDING_ROW_REJECTED',
      `PostgreSQL refused the embedding of product ${row.productId}${typeof sqlState === 'string' ? ` (SQLSTATE ${sqlState})` : ''}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { hint: meaningOf('EMBEDDING_ROW_REJECTED').hint, cause },
    );
  }
}
