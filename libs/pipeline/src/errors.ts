import { VectorizerError } from '@vectorizer/errors';

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
