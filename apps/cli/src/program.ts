import { Command } from 'commander';
import { registerEmbed } from './commands/embed';
import { registerMigrate } from './commands/migrate';
import { registerModel } from './commands/model';

/** Every `vectorizer` command registers itself here; each lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command('vectorizer')
    .description('Embeds every product image of a catalog with SigLIP into Postgres/pgvector and serves search on top.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerMigrate(program);
  registerEmbed(program);
  registerModel(program);
  return program;
}
