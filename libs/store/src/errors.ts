import { VectorizerError } from '@vectorizer/errors';

/** The `vector` extension is not installed on the PostgreSQL server (CREATE EXTENSION cannot find it). */
export class PgvectorMissingError extends VectorizerError {
  constructor(cause?: unknown) {
    super('PGVECTOR_MISSING', 'The PostgreSQL server does not have the pgvector extension ("vector") installed', {
      hint:
        'Run infra/scripts/ensure-pgvector.sh on the database host, or use the Docker image pgvector/pgvector ' +
        '(e.g. pgvector/pgvector:pg15) instead of plain postgres.',
      cause,
    });
  }
}

/** The extension exists on the server but the connected role may not create it in this database. */
export class PgvectorPermissionError extends VectorizerError {
  constructor(cause?: unknown) {
    super('PGVECTOR_PERMISSION_DENIED', 'The database role may not run CREATE EXTENSION vector', {
      hint: 'Ask a superuser to run `CREATE EXTENSION vector SCHEMA public;` once in this database, then migrate again.',
      cause,
    });
  }
}

/**
 * The embedding column is bound to one dimension and the configured model produces another.
 * Mixing dimensions in one HNSW index is impossible, so we refuse instead of guessing.
 */
export class EmbeddingDimensionMismatchError extends VectorizerError {
  constructor(
    readonly boundDimension: number,
    readonly requestedDimension: number,
  ) {
    super(
      'EMBEDDING_DIMENSION_MISMATCH',
      `product_embeddings.embedding_visual is bound to ${boundDimension} dimensions, ` +
        `but the configured model produces ${requestedDimension}-dimensional embeddings`,
      {
        hint:
          `Either configure the model that produced the ${boundDimension}-dimensional embeddings again, or run ` +
          `\`npx vectorizer migrate --reembed\` to drop them and bind the column to ${requestedDimension} dimensions, ` +
          'then `npx vectorizer enqueue --all` to embed every product again.',
      },
    );
  }
}

/** A vector handed to a write or a search does not have the dimension the column is bound to. */
export class VectorDimensionMismatchError extends VectorizerError {
  constructor(message: string, cause?: unknown) {
    super('VECTOR_DIMENSION_MISMATCH', message, {
      hint: 'Embed with the model the database was migrated for (`npx vectorizer doctor` shows the bound dimension).',
      cause,
    });
  }
}

/** An applied migration's SQL differs from the code's: someone edited history, which we never replay. */
export class MigrationChecksumMismatchError extends VectorizerError {
  constructor(
    readonly version: number,
    readonly migrationName: string,
  ) {
    super(
      'MIGRATION_CHECKSUM_MISMATCH',
      `Migration ${version} (${migrationName}) was changed after it was applied to this database`,
      {
        hint:
          'Applied migrations are immutable: restore the original file and put the change into a new migration ' +
          'with a higher version.',
      },
    );
  }
}

/** The database has migrations this build does not know: it was migrated by a newer vectorizer. */
export class SchemaNewerThanCodeError extends VectorizerError {
  constructor(readonly unknownVersions: number[]) {
    super(
      'SCHEMA_NEWER_THAN_CODE',
      `The database has migration(s) ${unknownVersions.join(', ')} that this version of vectorizer does not know`,
      { hint: 'Upgrade vectorizer to the version that migrated this database.' },
    );
  }
}

/** Readiness check failed: the schema is missing, behind, or bound to another dimension. */
export class SchemaNotReadyError extends VectorizerError {
  constructor(reason: string, hint = 'Run `npx vectorizer migrate`.') {
    super('SCHEMA_NOT_READY', `The database schema is not ready: ${reason}`, { hint });
  }
}

export class ProductNotFoundError extends VectorizerError {
  constructor(readonly productId: string) {
    super('PRODUCT_NOT_FOUND', `Product ${JSON.stringify(productId)} does not exist`, {
      hint: 'Ingest the product first (`npx vectorizer ingest`), or check the id.',
    });
  }
}

/** The product exists but has no embedding for the model yet (or its image changed since). */
export class ProductNotEmbeddedError extends VectorizerError {
  constructor(
    readonly productId: string,
    readonly model: string,
  ) {
    super('PRODUCT_NOT_EMBEDDED', `Product ${JSON.stringify(productId)} has no embedding for model ${model} yet`, {
      hint: 'Wait for the worker to embed it, or enqueue it with `npx vectorizer enqueue`.',
    });
  }
}

/** A caller passed a value the store cannot write or query with; the message names the field. */
export class InvalidStoreInputError extends VectorizerError {
  constructor(message: string) {
    super('INVALID_STORE_INPUT', message, { hint: 'Fix the input named above; nothing was written.' });
  }
}
