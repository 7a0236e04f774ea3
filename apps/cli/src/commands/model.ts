import { relative } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '@vectorizer/config';
import { makeDevModel } from '@vectorizer/dev-model';
import {
  EmbedderError,
  type ModelDtype,
  downloadModel,
  resolveHfHome,
  resolveModel,
  type ResolvedModel,
  verifyModel,
} from '@vectorizer/embedder';
import type { Logger } from '@vectorizer/logger';
import { runCommand } from '../context';

const DTYPES: ModelDtype[] = ['fp32', 'fp16', 'q8'];

async function download(
  config: Config,
  logger: Logger,
  id: string,
  dtype: ModelDtype,
  opts: { revision: string; text: boolean },
): Promise<void> {
  const hfHome = resolveHfHome(config.HF_HOME);
  const result = await downloadModel({
    modelId: id,
    hfHome,
    dtype,
    revision: opts.revision,
    remoteHost: config.HF_ENDPOINT,
    includeText: opts.text,
    onFile: (event) => logger.info(event, `${event.file}: ${event.status}`),
  });
  logger.info(
    { dir: result.dir, revision: result.revision },
    `downloaded ${id}; use it with MODEL_ID=${id}${config.HF_HOME ? ` HF_HOME=${hfHome}` : ''}`,
  );
  print({ modelId: id, dir: result.dir, revision: result.revision, files: result.manifest.files });
}

/** The model in the HF cache when every file is there and matches its manifest; undefined otherwise. */
async function verifiedCachedModel(
  config: Config,
  modelId: string,
  dtype: ModelDtype,
): Promise<ResolvedModel | undefined> {
  try {
    const resolved = await resolveModel({
      modelId,
      hfHome: config.HF_HOME,
      dtype,
      devModelSize: config.DEV_MODEL_SIZE,
    });
    await verifyModel({
      dir: resolved.dir,
      requiredFiles: ['config.json', 'preprocessor_config.json', relative(resolved.dir, resolved.visionModelPath)],
      source: resolved.source,
      hashPolicy: 'always',
    });
    return resolved;
  } catch {
    return undefined;
  }
}

function parseDtype(value: string | undefined, fallback: ModelDtype): ModelDtype {
  if (value === undefined) return fallback;
  if (!DTYPES.includes(value as ModelDtype)) {
    throw new EmbedderError('MODEL_CONFIG_INVALID', `Unknown dtype "${value}"`, {
      hint: `Use --dtype ${DTYPES.join(', ')}.`,
    });
  }
  return value as ModelDtype;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('Download, verify, inspect or generate the embedding model.');

  model
    .command('download <id>')
    .description(
      'Fetch a model (Optimum/transformers.js ONNX layout) into the Hugging Face cache and record its manifest.',
    )
    .option('--dtype <dtype>', 'fp32 | fp16 | q8 (default MODEL_DTYPE)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--no-text', 'skip the text tower and tokenizer (image-only workers)')
    .action((id: string, opts: { dtype?: string; revision: string; text: boolean }) =>
      runCommand('model-download', async ({ config, logger }) =>
        download(config, logger, id, parseDtype(opts.dtype, config.MODEL_DTYPE), opts),
      ),
    );

  model
    .command('fetch [id]')
    .description(
      'Download ID (default MODEL_ID) unless the cache already holds a copy that verifies; without a model id there is ' +
        'nothing to fetch (the dev model is generated on first use). For compose and the quick start.',
    )
    .option('--dtype <dtype>', 'fp32 | fp16 | q8 (default MODEL_DTYPE)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--no-text', 'skip the text tower and tokenizer (image-only workers)')
    .action((id: string | undefined, opts: { dtype?: string; revision: string; text: boolean }) =>
      runCommand('model-fetch', async ({ config, logger }) => {
        const modelId = id ?? config.MODEL_ID;
        if (!modelId) {
          logger.info('MODEL_ID is not set: nothing to fetch (the generated dev model is used)');
          return;
        }
        const dtype = parseDtype(opts.dtype, config.MODEL_DTYPE);
        const cached = await verifiedCachedModel(config, modelId, dtype);
        if (cached) {
          logger.info({ dir: cached.dir }, `${modelId} is already in the model cache and verifies: nothing to fetch`);
          print({ modelId, dir: cached.dir, cached: true });
          return;
        }
        await download(config, logger, modelId, dtype, opts);
      }),
    );

  model
    .command('verify')
    .description('Check every model file against its manifest (size + sha256) and load it once with ONNX Runtime.')
    .option('--model-dir <dir>', 'model directory (default MODEL_DIR / MODEL_ID / dev model)')
    .action((opts: { modelDir?: string }) =>
      runCommand('model-verify', async ({ runtime }) => {
        const resolved = await runtime.model(opts.modelDir, { inspectOnly: true });
        const result = await verifyModel({
          dir: resolved.dir,
          requiredFiles: ['config.json', 'preprocessor_config.json', relative(resolved.dir, resolved.visionModelPath)],
          source: resolved.source,
          hashPolicy: 'always',
        });
        // Parsing by ORT catches what a manifest cannot: a directory that never had one.
        const embedder = await runtime.startEmbedder(resolved, {
          device: 'cpu',
          allowCpuFallback: false,
          hashPolicy: 'never',
        });
        await embedder.close();
        print({
          model: resolved.id,
          dir: resolved.dir,
          manifest: result.hasManifest,
          files: result.files,
          onnxRuntime: 'loads and runs',
        });
      }),
    );

  model
    .command('info')
    .description('Show which model this configuration resolves to, its dimension and files.')
    .option('--model-dir <dir>', 'model directory (default MODEL_DIR / MODEL_ID / dev model)')
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
        if (opts.size !== 'tiny' && opts.size !== 'base') {
          throw new EmbedderError('MODEL_CONFIG_INVALID', `Unknown dev model size "${opts.size}"`, {
            hint: 'Use --size tiny or --size base.',
          });
        }
        if (opts.family !== 'siglip' && opts.family !== 'siglip2') {
          throw new EmbedderError('MODEL_CONFIG_INVALID', `Unknown dev model family "${opts.family}"`, {
            hint: 'Use --family siglip or --family siglip2.',
          });
        }
        await makeDevModel({ dir, size: opts.size, seed: opts.seed, family: opts.family });
        logger.warn({ dir }, 'dev model written: random weights, its embeddings have no meaning');
      }),
    );
}
