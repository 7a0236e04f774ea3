import { Command } from 'commander';
import { registerMigrate } from './commands/migrate';

/** Every `vectorizer` command registers itself here; each lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command('vectorizer')
    .description('Embeds every product image of a catalog with SigLIP into Postgres/pgvector and serves search on top.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerMigrate(program);
  return program;
}
