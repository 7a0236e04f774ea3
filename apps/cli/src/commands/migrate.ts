import type { Command } from 'commander';
import { runCommand } from '../context';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Create or update the database schema (safe to run concurrently and repeatedly).')
    .action(() =>
      runCommand('migrate', async ({ logger }) => {
        logger.info('migrate is wired by libs/store');
      }),
    );
}
