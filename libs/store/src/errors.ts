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

/** A vector handed to a write or a search does not have the dimension its model is registered with. */
export class VectorDimensionMismatchError extends VectorizerError {
  constructor(message: string, cause?: unknown) {
    super('VECTOR_DIMENSION_MISMATCH', message, {
      hint: 'Embed with the model the vectors are stored under (`npx vectorizer models list` shows each dimension).',
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

/** Readiness check failed: the schema is missing or behind, or a model's index is missing. */
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

/** A model id that the registry (table models) does not hold. */
export class ModelNotRegisteredError extends VectorizerError {
  constructor(readonly modelId: string) {
    super('MODEL_NOT_REGISTERED', `Model ${JSON.stringify(modelId)} is not registered`, {
      hint:
        'See the registered models with `npx vectorizer models list`; `npx vectorizer migrate` registers the ' +
        'configured model (a worker or API start does too).',
    });
  }
}

/** The configured model's id is registered with another dimension: one id, one dimension. */
export class ModelRegistrationConflictError extends VectorizerError {
  constructor(
    readonly modelId: string,
    readonly registeredDimension: number,
    readonly requestedDimension: number,
  ) {
    super(
      'MODEL_REGISTRATION_CONFLICT',
      `Model ${JSON.stringify(modelId)} is registered with ${registeredDimension} dimensions, ` +
        `but the configured model of that id produces ${requestedDimension}`,
      {
        hint:
          `Check MODEL_DIR / MODEL_ID: the files changed under the same id. To replace the model, ` +
          `\`npx vectorizer models drop ${modelId} --force\` (deletes its vectors), then migrate and enqueue --all.`,
      },
    );
  }
}

/** No model is active, so nothing can answer a search. */
export class NoActiveModelError extends VectorizerError {
  constructor() {
    super('NO_ACTIVE_MODEL', 'No embedding model is active, so there is nothing to search', {
      hint:
        '`npx vectorizer migrate` registers the configured model (the first one registered becomes active); ' +
        'otherwise `npx vectorizer models activate ID`.',
    });
  }
}

/** `models activate` without --force on a model that has not embedded every product. */
export class ModelCoverageIncompleteError extends VectorizerError {
  constructor(
    readonly modelId: string,
    readonly embedded: number,
    readonly total: number,
  ) {
    super(
      'MODEL_COVERAGE_INCOMPLETE',
      `Model ${JSON.stringify(modelId)} has embedded ${embedded} of ${total} products ` +
        `(${total === 0 ? 100 : Math.floor((1000 * embedded) / total) / 10}%); searches would miss the rest`,
      {
        hint:
          'Finish embedding with it (workers configured with this model, `npx vectorizer enqueue --all`; ' +
          '`npx vectorizer models list` shows the progress), or pass --force to activate it anyway.',
      },
    );
  }
}

/** `models drop` without --force on the model that answers searches. */
export class ActiveModelDropRefusedError extends VectorizerError {
  constructor(readonly modelId: string) {
    super('ACTIVE_MODEL_DROP_REFUSED', `Model ${JSON.stringify(modelId)} is active: dropping it stops every search`, {
      hint: 'Activate another model first (`npx vectorizer models activate ID`), or pass --force to drop it anyway.',
    });
  }
}

/**
 * A text or image query needs the active model's towers, and this process loaded another model:
 * embedding the query with it would compare vectors of two different spaces.
 */
export class ActiveModelNotLoadedError extends VectorizerError {
  constructor(
    readonly loadedModelId: string,
    readonly activeModelId: string,
  ) {
    super(
      'ACTIVE_MODEL_NOT_LOADED',
      `Search uses the active model ${JSON.stringify(activeModelId)}, but this process loaded ` +
        `${JSON.stringify(loadedModelId)} to embed queries`,
      {
        hint:
          `Restart it with the active model configured (MODEL_ID / MODEL_DIR / MODEL_DTYPE), or ` +
          `\`npx vectorizer models activate ${loadedModelId}\`. Similar-product search needs no model and keeps working.`,
      },
    );
  }
}
