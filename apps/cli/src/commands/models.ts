import type { Command } from 'commander';
import { registeredModels } from '@vectorizer/runtime';
import type { ModelCoverage } from '@vectorizer/store';
import { runCommand } from '../context';

/** The row `models list --json` prints per model. */
function listed(model: ModelCoverage) {
  return {
    id: model.id,
    dim: model.dim,
    dtype: model.dtype,
    storage: model.storage,
    embedded: model.embedded,
    total: model.total,
    active: model.active,
  };
}

function coverage(model: ModelCoverage): string {
  return model.total === 0 ? '100%' : `${Math.floor((1000 * model.embedded) / model.total) / 10}%`;
}

function printTable(models: ModelCoverage[]): void {
  if (models.length === 0) {
    process.stdout.write('No model registered yet: `npx vectorizer migrate` registers the configured one.\n');
    return;
  }
  for (const model of models) {
    process.stdout.write(
      `${model.active ? '*' : ' '} ${model.id}\t${model.storage}(${model.dim})\t${model.dtype}\t` +
        `${model.embedded}/${model.total} embedded (${coverage(model)})${model.active ? '\tactive' : ''}\n`,
    );
  }
}

/**
 * `vectorizer models`: the registry of embedding models in the database (beside `vectorizer model`,
 * which manages the model files on this machine).
 */
export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description(
      'The embedding models whose vectors the database holds: list them, choose the one searches use, retire one.',
    )
    .addHelpText(
      'after',
      '\nSwitching models without downtime: configure the new model on the workers, `npx vectorizer migrate`\n' +
        '(registers it beside the active one), `npx vectorizer enqueue --all`; searches keep using the active\n' +
        'model meanwhile. At 100% coverage `npx vectorizer models activate NEW`, restart the API with NEW\n' +
        'configured (text and image queries are embedded by the model the API loaded), then\n' +
        '`npx vectorizer models drop OLD`.',
    );

  models
    .command('list')
    .description('Every registered model with its coverage of the catalog; * marks the active one.')
    .option('--json', 'print [{id, dim, dtype, storage, embedded, total, active}] as JSON')
    .action((opts: { json?: boolean }) =>
      runCommand('models-list', async ({ runtime }) => {
        const list = await registeredModels.list(runtime);
        if (opts.json) process.stdout.write(`${JSON.stringify(list.map(listed), null, 2)}\n`);
        else printTable(list);
      }),
    );

  models
    .command('activate <id>')
    .description('Make searches use this model (refused below 100% coverage unless --force).')
    .option('--force', 'activate even though some products have no vector of this model (they drop out of results)')
    .action((id: string, opts: { force?: boolean }) =>
      runCommand('models-activate', async ({ runtime, logger }) => {
        const { model, previous } = await registeredModels.activate(runtime, id, { force: opts.force ?? false });
        logger.info({ model: model.id, previous }, 'activated the model');
        process.stdout.write(
          `model ${model.id} is active (${model.embedded}/${model.total} embedded, ${coverage(model)})` +
            `${previous ? `; ${previous} no longer answers searches` : ''}\n`,
        );
      }),
    );

  models
    .command('drop <id>')
    .description('Retire a model: delete its vectors and its HNSW index (the active model only with --force).')
    .option('--force', 'drop the active model too (searches then fail with NO_ACTIVE_MODEL until one is activated)')
    .action((id: string, opts: { force?: boolean }) =>
      runCommand('models-drop', async ({ runtime, logger }) => {
        const result = await registeredModels.drop(runtime, id, { force: opts.force ?? false });
        logger.info(result, 'dropped the model');
        process.stdout.write(
          `dropped model ${id}: ${result.droppedEmbeddings} vector(s) and its index` +
            `${result.wasActive ? '; no model is active now: npx vectorizer models activate ID' : ''}\n`,
        );
      }),
    );
}
