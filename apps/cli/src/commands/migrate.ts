import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '@vectorizer/config';
import type { Logger } from '@vectorizer/logger';
import { createPool, type MigrateResult, runMigrations } from '@vectorizer/store';
import { runCommand } from '../context';
import { resolveConfiguredModel } from './model';

interface MigrateOptions {
  dimension?: number;
  reembed?: boolean;
}

function parseDimension(value: string): number {
  const dimension = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(dimension) || dimension < 1) {
    throw new InvalidArgumentError('expected a positive whole number, e.g. 768');
  }
  return dimension;
}

/** The configured model's dimension, read from the model's own config.json (resolveModel from @vectorizer/embedder). */
async function configuredModelDimension(config: Config, logger: Logger): Promise<number> {
  const model = await resolveConfiguredModel(config, logger);
  logger.info({ model: model.id, dimension: model.dimension }, 'embedding dimension from the configured model');
  return model.dimension;
}

/** One line for stdout: what changed, the schema version and the bound dimension. */
export function summarizeMigration(result: MigrateResult): string {
  const { applied, schemaVersion, binding } = result;
  const parts = [
    applied.length === 0
      ? `schema up to date (version ${schemaVersion})`
      : `applied ${applied.length} migration(s) ${applied.join(', ')} (schema version ${schemaVersion})`,
    `embedding_visual bound to vector(${binding.dimension})`,
  ];
  if (binding.droppedEmbeddings > 0 || (binding.changed && binding.previousDimension !== null)) {
    parts.push(
      `--reembed dropped ${binding.droppedEmbeddings} embedding(s) of dimension ${binding.previousDimension ?? 'other'}; ` +
        'next: npx vectorizer enqueue --all',
    );
  }
  return parts.join('; ');
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      "Create or update the database schema and bind the embedding column to the model's dimension " +
        '(safe to run concurrently and repeatedly).',
    )
    .option('--dimension <n>', "embedding dimension to bind instead of the configured model's", parseDimension)
    .option(
      '--reembed',
      'DESTRUCTIVE: delete every embedding of another dimension and rebind the column to this one ' +
        '(after switching to a model with another dimension); afterwards run `npx vectorizer enqueue --all`',
    )
    .addHelpText(
      'after',
      '\nThe dimension comes from the configured model (MODEL_DIR / MODEL_ID / dev model) unless --dimension is given.\n' +
        'If the database holds embeddings of another dimension, migrate refuses and names both; then either\n' +
        'configure the old model again, or run `npx vectorizer migrate --reembed` followed by\n' +
        '`npx vectorizer enqueue --all` to embed every product with the new model.',
    )
    .action((opts: MigrateOptions) =>
      runCommand('migrate', async ({ config, logger }) => {
        const dimension = opts.dimension ?? (await configuredModelDimension(config, logger));
        const pool = createPool(config.DATABASE_URL, { max: 1 });
        try {
          const result = await runMigrations(pool, { dimension, reembed: opts.reembed ?? false, logger });
          process.stdout.write(`${summarizeMigration(result)}\n`);
        } finally {
          await pool.end();
        }
      }),
    );
}
