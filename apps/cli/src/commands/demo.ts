import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '@vectorizer/config';
import { VectorizerError } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import { EmbeddingsRepository, ProductsRepository } from '@vectorizer/store';
import { currentModelId, openDatabase } from '../command-services';
import { runCommand } from '../context';
import { serveDirectory, writeDemoCatalog } from '@vectorizer/dev-model';
import { repoRoot } from '@vectorizer/supervisor';

interface DemoOptions {
  products: number;
  port: number;
  dir: string;
}

/**
 * The README's main job, end to end on real services: migrate, build a demo catalog whose images are
 * served over HTTP from this process, ingest it, run the workers until the queue is drained (with a
 * progress bar), then print the status table. Each step runs the real `vectorizer` command, so the
 * demo exercises exactly what operators run.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Embed a generated demo catalog end to end: migrate, ingest, run workers until drained, status.')
    .option('--products <n>', 'demo catalog size', positiveInt, 300)
    .option('--port <port>', 'port of the local image server (fixed, so re-runs find nothing new to embed)', port, 3901)
    .option('--dir <dir>', 'where the catalog and its images are written', join(repoRoot(), 'tmp', 'demo'))
    .action((opts: DemoOptions) => runCommand('demo', async ({ config, logger }) => runDemo(config, logger, opts)));
}

async function runDemo(config: Config, logger: Logger, opts: DemoOptions): Promise<number> {
  await mkdir(opts.dir, { recursive: true });
  const images = await serveDirectory(opts.dir, opts.port);
  try {
    const catalog = await writeDemoCatalog(opts.dir, opts.products, images.url);
    logger.info({ catalog, images: images.url, products: opts.products }, 'demo catalog written');
    const logFile = join(opts.dir, 'demo.log');
    const run = (args: string[], env: NodeJS.ProcessEnv = {}, showStdout = false) =>
      runCli(args, env, logFile, showStdout);

    await run(['migrate']);
    await run(['ingest', catalog], {}, true);
    // The demo images live on this machine; production keeps the SSRF guard on.
    const workers = run(['worker', '--drain'], { IMAGE_ALLOW_PRIVATE_NETWORKS: 'true' });
    await showProgress(config, logger, workers);
    await workers;
    process.stderr.write(`\nworker and command logs: ${logFile}\n\n`);
    await run(['status'], {}, true);
    process.stdout.write(
      '\nDashboard and search page:\n' +
        '  DASHBOARD_DEV_MODE=true npx vectorizer serve      # then open http://127.0.0.1:3000/admin/queues and http://127.0.0.1:3000/\n' +
        '  (outside local development set DASHBOARD_USER/DASHBOARD_PASSWORD or DASHBOARD_TOKEN instead)\n',
    );
    return 0;
  } finally {
    await images.close();
  }
}

/** Runs `vectorizer ARGS` as a child; its logs go to the demo log file, its stdout too unless shown. */
function runCli(args: string[], env: NodeJS.ProcessEnv, logFile: string, showStdout = false): Promise<void> {
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n$ vectorizer ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'vectorizer.js'), ...args], {
    env: { ...process.env, ...env, LOG_FORMAT: 'json' },
    stdio: ['ignore', showStdout ? 'inherit' : 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      log.end();
      if (code === 0) resolve();
      else
        reject(
          new VectorizerError('DEMO_STEP_FAILED', `\`vectorizer ${args.join(' ')}\` exited with code ${code}`, {
            hint: `read the step's log in ${logFile} (its last lines name the cause and the fix)`,
          }),
        );
    });
  });
}

/** A progress bar of embedded products on a terminal, a log line every few seconds otherwise. */
async function showProgress(config: Config, logger: Logger, workers: Promise<void>): Promise<void> {
  let finished = false;
  void workers.then(
    () => (finished = true),
    () => (finished = true),
  );
  const pool = await openDatabase(config, { max: 1 });
  try {
    const model = await currentModelId(config, logger);
    const total = await new ProductsRepository(pool).count();
    const embeddings = new EmbeddingsRepository(pool);
    const bar = process.stderr.isTTY
      ? new SingleBar(
          { format: 'embedding [{bar}] {value}/{total} products | {rate} products/s', stream: process.stderr },
          Presets.shades_classic,
        )
      : undefined;
    const started = Date.now();
    bar?.start(total, 0, { rate: 0 });
    let lastLog = 0;
    for (;;) {
      const embedded = await embeddings.countEmbedded(model);
      const rate = (embedded / Math.max(1, (Date.now() - started) / 1000)).toFixed(1);
      bar?.update(embedded, { rate });
      if (!bar && Date.now() - lastLog >= 5_000) {
        logger.info({ embedded, total, rate }, 'embedding progress');
        lastLog = Date.now();
      }
      if (finished) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    bar?.stop();
  } finally {
    await pool.end();
  }
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('expected a port');
  return parsed;
}
