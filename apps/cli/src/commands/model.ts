import type { Command } from 'commander';
import {
  cachedVerifiedModel,
  downloadModelFiles,
  verifyModelFiles,
  writeDevModel,
  type ModelDownloadOptions,
  type Runtime,
} from '@vectorizer/runtime';
import { runCommand } from '../context';

const MODEL_DIR_OPTION = ['--model-dir <dir>', 'model directory (default MODEL_DIR / MODEL_ID / dev model)'] as const;

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The options `model download` and `model fetch` share. */
function downloadOptions(command: Command): Command {
  return command
    .option('--dtype <dtype>', 'fp32 | fp16 | q8 (default MODEL_DTYPE)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--no-text', 'skip the text tower and tokenizer (image-only workers)');
}

async function download(runtime: Runtime, id: string, opts: ModelDownloadOptions): Promise<void> {
  const downloaded = await downloadModelFiles(runtime, id, opts);
  runtime.logger.info(
    { dir: downloaded.dir, revision: downloaded.revision },
    `downloaded ${id}; use it with MODEL_ID=${id}${downloaded.hfHome ? ` HF_HOME=${downloaded.hfHome}` : ''}`,
  );
  print({ modelId: id, dir: downloaded.dir, revision: downloaded.revision, files: downloaded.manifest.files });
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('Download, verify, inspect or generate the embedding model.');

  downloadOptions(
    model
      .command('download <id>')
      .description(
        'Fetch a model (Optimum/transformers.js ONNX layout) into the Hugging Face cache and record its manifest.',
      ),
  ).action((id: string, opts: ModelDownloadOptions) =>
    runCommand('model-download', ({ runtime }) => download(runtime, id, opts)),
  );

  downloadOptions(
    model
      .command('fetch [id]')
      .description(
        'Download ID (default MODEL_ID) unless the cache already holds a copy that verifies; without a model id there is ' +
          'nothing to fetch (the dev model is generated on first use). For compose and the quick start.',
      ),
  ).action((id: string | undefined, opts: ModelDownloadOptions) =>
    runCommand('model-fetch', async ({ config, logger, runtime }) => {
      const modelId = id ?? config.MODEL_ID;
      if (!modelId) {
        logger.info('MODEL_ID is not set: nothing to fetch (the generated dev model is used)');
        return;
      }
      const cached = await cachedVerifiedModel(runtime, modelId, opts);
      if (cached) {
        logger.info({ dir: cached.dir }, `${modelId} is already in the model cache and verifies: nothing to fetch`);
        print({ modelId, dir: cached.dir, cached: true });
        return;
      }
      await download(runtime, modelId, opts);
    }),
  );

  model
    .command('verify')
    .description('Check every model file against its manifest (size + sha256) and load it once with ONNX Runtime.')
    .option(...MODEL_DIR_OPTION)
    .action((opts: { modelDir?: string }) =>
      runCommand('model-verify', async ({ runtime }) => {
        const { model: verified, files } = await verifyModelFiles(runtime, opts.modelDir);
        print({
          model: verified.id,
          dir: verified.dir,
          manifest: files.hasManifest,
          files: files.files,
          onnxRuntime: 'loads and runs',
        });
      }),
    );

  model
    .command('info')
    .description('Show which model this configuration resolves to, its dimension and files.')
    .option(...MODEL_DIR_OPTION)
    .action((opts: { modelDir?: string }) =>
      runCommand('model-info', async ({ runtime }) => {
        const resolved = await runtime.model(opts.modelDir, { inspectOnly: true });
        print({
          id: resolved.id,
          dir: resolved.dir,
          isDevModel: resolved.isDevModel,
          dimension: resolved.dimension,
          dtype: resolved.dtype,
          visionModel: resolved.visionModelPath,
          textModel: resolved.textModelPath ?? null,
          imageSize: resolved.preprocessor.size,
        });
      }),
    );

  model
    .command('make-dev <dir>')
    .description('Generate the SigLIP-shaped dev model (random weights: for tests and demos, never for real search).')
    .option('--size <size>', 'tiny | base', 'tiny')
    .option('--seed <n>', 'weight seed', (value) => Number.parseInt(value, 10))
    .option('--family <family>', 'siglip | siglip2 (SigLIP 2 FixRes layout: Gemma tokenizer, <pad> padding)', 'siglip')
    .action((dir: string, opts: { size: string; seed?: number; family: string }) =>
      runCommand('model-make-dev', async ({ logger }) => {
        await writeDevModel(dir, opts);
        logger.warn({ dir }, 'dev model written: random weights, its embeddings have no meaning');
      }),
    );
}
