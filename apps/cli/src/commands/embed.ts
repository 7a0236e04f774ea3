import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeError } from '@vectorizer/errors';
import { ImageFetcher, decodeLimitsFromConfig, fetcherOptionsFromConfig, planPreprocess } from '@vectorizer/images';
import { runCommand } from '../context';

type Line =
  { input: string; dim: number; embedding: number[] } | { input: string; error: { code: string; message: string } };

const isUrl = (input: string) => /^https?:\/\//i.test(input);

async function readLocal(path: string, maxBytes: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw Object.assign(
      new Error(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${String(error)}`),
      {
        code: code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
      },
    );
  }
  if (size > maxBytes) {
    throw Object.assign(new Error(`${path} is ${size} bytes, over IMAGE_MAX_BYTES=${maxBytes}`), {
      code: 'IMAGE_TOO_LARGE',
    });
  }
  return readFile(path);
}

function errorLine(input: string, error: unknown): Line {
  const described = describeError(error);
  return { input, error: { code: described.code ?? 'EMBED_FAILED', message: described.message } };
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description(
      'Embed local image files or image URLs; prints one JSON line per input: {"input","dim","embedding"} or {"input","error"}.',
    )
    .argument('<inputs...>', 'image files or http(s) URLs')
    .option('--model-dir <dir>', 'model directory (overrides MODEL_DIR)')
    .option('--json', 'JSON lines on stdout (the only output format; logs go to stderr)')
    .action((inputs: string[], opts: { modelDir?: string }) =>
      runCommand('embed', async ({ config, runtime }) => {
        const model = await runtime.model(opts.modelDir);
        const limits = decodeLimitsFromConfig(config);
        const embedder = await runtime.startEmbedder(model, {
          maxBatchSize: Math.min(config.BATCH_SIZE ?? 16, Math.max(1, inputs.length)),
        });
        const fetcher = inputs.some(isUrl) ? new ImageFetcher(fetcherOptionsFromConfig(config)) : undefined;
        try {
          // Each input fails on its own; the good ones are embedded together in one batch.
          const lines: (Line | undefined)[] = new Array(inputs.length);
          const pixels: { index: number; values: Uint8Array }[] = [];
          await Promise.all(
            inputs.map(async (input, index) => {
              try {
                const bytes =
                  isUrl(input) && fetcher
                    ? (await fetcher.fetch(input)).bytes
                    : await readLocal(input, limits.maxBytes);
                const plan = await planPreprocess(bytes, model.preprocessor, limits);
                pixels.push({ index, values: (await plan.run()).data });
              } catch (error) {
                lines[index] = errorLine(input, error);
              }
            }),
          );
          pixels.sort((a, b) => a.index - b.index);
          if (pixels.length > 0) {
            const embeddings = await embedder.embedRgb(pixels.map((p) => p.values));
            pixels.forEach(({ index }, i) => {
              lines[index] = { input: inputs[index], dim: embeddings[i].length, embedding: Array.from(embeddings[i]) };
            });
          }
          for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
          return lines.every((line) => line !== undefined && 'embedding' in line) ? 0 : 1;
        } finally {
          await fetcher?.close();
          await embedder.close();
        }
      }),
    );
}
