import type { Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import { migrateAndRegisterModel } from '@vectorizer/runtime';
import type { MigrateResult } from '@vectorizer/store';
import { runCommand } from '../context';

interface MigrateOptions {
  dimension?: string;
  reembed?: boolean;
}

/** One line for stdout: what changed, the schema version and the configured model's registration. */
export function summarizeMigration(result: MigrateResult): string {
  const { applied, schemaVersion, registration, indexesBuilt } = result;
  const parts = [
    applied.length === 0
      ? `schema up to date (version ${schemaVersion})`
      : `applied ${applied.length} migration(s) ${applied.join(', ')} (schema version ${schemaVersion})`,
  ];
  if (indexesBuilt.length > 0) parts.push(`built the HNSW index of ${indexesBuilt.join(', ')}`);
  if (registration) {
    const { model, created } = registration;
    parts.push(
      `model ${model.id} ${created ? 'registered' : 'already registered'} ` +
        `(${model.storage}(${model.dim}), ${model.dtype}${model.active ? ', active' : ', not active'})`,
    );
    if (!model.active)
      parts.push(`next: npx vectorizer enqueue --all, then npx vectorizer models activate ${model.id}`);
  }
  return parts.join('; ');
}

/** The options models side by side made obsolete: refused with the way forward rather than ignored. */
function refuseRetired(opts: MigrateOptions): void {
  if (opts.reembed) {
    throw new VectorizerError(
      'OPTION_RETIRED',
      '`migrate --reembed` is retired: models of different dimensions now live side by side, so nothing needs dropping',
      {
        hint:
          'Configure the new model and run `npx vectorizer migrate` (registers it), `npx vectorizer enqueue --all`, ' +
          'then `npx vectorizer models activate ID`; retire the old one with `npx vectorizer models drop ID`.',
      },
    );
  }
  if (opts.dimension !== undefined) {
    throw new VectorizerError(
      'OPTION_RETIRED',
      '`migrate --dimension` is retired: the dimension belongs to the model',
      {
        hint: 'Configure the model (MODEL_DIR / MODEL_ID); migrate registers it with the dimension its config.json gives.',
      },
    );
  }
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'Create or update the database schema and register the configured model with its own HNSW index ' +
        '(safe to run concurrently and repeatedly; never touches other models).',
    )
    .option('--dimension <n>', 'retired: the dimension comes from the configured model')
    .option('--reembed', 'retired: models of other dimensions are registered beside the existing ones')
    .addHelpText(
      'after',
      '\nThe model comes from the configuration (MODEL_DIR / MODEL_ID / dev model); EMBEDDING_STORAGE=halfvec\n' +
        'indexes a newly registered model in half precision. The first model registered becomes active\n' +
        '(answers searches); switch with `npx vectorizer models activate ID` once the new one has embedded\n' +
        'the catalog (`npx vectorizer enqueue --all` with it configured). See `npx vectorizer models --help`.',
    )
    .action((opts: MigrateOptions) =>
      runCommand('migrate', async ({ runtime }) => {
        refuseRetired(opts);
        process.stdout.write(`${summarizeMigration(await migrateAndRegisterModel(runtime))}\n`);
      }),
    );
}
