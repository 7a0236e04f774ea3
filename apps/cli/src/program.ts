import { Command } from 'commander';
import { registerEmbed } from './commands/embed';
import { registerMigrate } from './commands/migrate';
import { registerModel } from './commands/model';
import { registerModels } from './commands/models';
import { registerDoctor } from './commands/doctor';
import { registerDuplicates } from './commands/duplicates';
import { registerExplain } from './commands/explain';
import { registerSearch } from './commands/search';
import { registerServe } from './commands/serve';
import { registerIngest } from './commands/ingest';
import { registerEnqueue } from './commands/enqueue';
import { registerStatus } from './commands/status';
import { registerDlq } from './commands/dlq';
import { registerWorker } from './commands/worker';
import { registerDemo } from './commands/demo';
import { registerWatch } from './commands/watch';

/** Every `vectorizer` command registers itself here; each lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command('vectorizer')
    .description('Embeds every product image of a catalog with SigLIP into Postgres/pgvector and serves search on top.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerMigrate(program);
  registerEmbed(program);
  registerModel(program);
  registerModels(program);
  registerServe(program);
  registerSearch(program);
  registerDoctor(program);
  registerDuplicates(program);
  registerIngest(program);
  registerEnqueue(program);
  registerStatus(program);
  registerDlq(program);
  registerExplain(program);
  registerWorker(program);
  registerDemo(program);
  registerWatch(program);
  return program;
}
