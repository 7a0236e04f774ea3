import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { VectorizerError } from '@vectorizer/errors';
import { openEmbeddingProgress, vectorizerScript, writeDemo, type Runtime } from '@vectorizer/runtime';
import { runCommand } from '../context';

interface DemoOptions {
  products: number;
  dir?: string;
}

/**
 * The README's main job, end to end on real services: migrate, build a demo catalog of local image
 * files (`file://` URLs, read by the workers under IMAGE_FILE_ROOT and shown by `serve`, so no
 * server has to outlive the demo), ingest it, run the workers until the queue is drained (with a
 * progress bar), then print the status table. Each step runs the real `vectorizer` command, so the
 * demo exercises exactly what operators run.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Embed a generated demo catalog end to end: migrate, ingest, run workers until drained, status.')
    .option('--products <n>', 'demo catalog size', positiveInt, 300)
    // No default value here: computing it would load the model generator for `--help`.
    .option(
      '--dir <dir>',
      'where the catalog and its images are written (default <repo>/tmp/demo; serve shows images from another dir with IMAGE_FILE_ROOT=DIR)',
    )
    .action((opts: DemoOptions) => runCommand('demo', async ({ runtime }) => runDemo(runtime, opts)));
}

async function runDemo(runtime: Runtime, opts: DemoOptions): Promise<number> {
  const { config, logger } = runtime;
  const { dir, file: catalog, isDefaultDir } = await writeDemo(opts.products, opts.dir);
  logger.info(`demo catalog: ${opts.products} products in ${catalog}`);
  const logFile = join(dir, 'demo.log');
  const run = (args: string[], env: NodeJS.ProcessEnv = {}, showStdout = false) =>
    runCli(args, env, logFile, showStdout);

  await run(['migrate']);
  await run(['ingest', catalog], {}, true);
  // The demo's images are files: the workers may read them under this directory only.
  const workers = run(['worker', '--drain'], { IMAGE_FILE_ROOT: dir });
  await showProgress(runtime, workers);
  await workers;
  process.stderr.write(`\nworker and command logs: ${logFile}\n\n`);
  await run(['status'], {}, true);
  // `serve` must search with the model the demo embedded with, and show images from its folder.
  const serveEnv = [
    config.MODEL_DIR ? `MODEL_DIR=${config.MODEL_DIR}` : '',
    !config.MODEL_DIR && config.MODEL_ID ? `MODEL_ID=${config.MODEL_ID} MODEL_DTYPE=${config.MODEL_DTYPE}` : '',
    config.HF_HOME && (config.MODEL_ID || config.MODEL_DIR) ? `HF_HOME=${config.HF_HOME}` : '',
    isDefaultDir ? '' : `IMAGE_FILE_ROOT=${dir}`,
  ]
    .filter(Boolean)
    .map((setting) => `${setting} `)
    .join('');
  process.stdout.write(
    '\nDashboard and search page:\n' +
      `  ${serveEnv}DASHBOARD_DEV_MODE=true npx vectorizer serve      # then open http://127.0.0.1:3000/admin/queues and http://127.0.0.1:3000/\n` +
      '  (outside local development set DASHBOARD_USER/DASHBOARD_PASSWORD or DASHBOARD_TOKEN instead)\n',
  );
  return 0;
}

/** Runs `vectorizer ARGS` as a child; its logs go to the demo log file, its stdout too unless shown. */
function runCli(args: string[], env: NodeJS.ProcessEnv, logFile: string, showStdout = false): Promise<void> {
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n$ vectorizer ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [vectorizerScript(), ...args], {
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
async function showProgress(runtime: Runtime, workers: Promise<void>): Promise<void> {
  const { logger } = runtime;
  let finished = false;
  void workers.then(
    () => (finished = true),
    () => (finished = true),
  );
  const progress = await openEmbeddingProgress(runtime);
  try {
    const { total } = progress;
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
      const embedded = await progress.embedded();
      const rate = (embedded / Math.max(1, (Date.now() - started) / 1000)).toFixed(1);
      bar?.update(embedded, { rate });
      if (!bar && Date.now() - lastLog >= 5_000) {
        logger.info({ embedded, total, rate }, 'embedding progress');
        lastLog = Date.now();
      }
      if (finished) break;
      await sleep(500);
    }
    bar?.stop();
  } finally {
    await progress.close();
  }
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}
