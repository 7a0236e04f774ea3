import { join, resolve } from 'node:path';
import { defaultDemoDirectory, writeDemoCatalog } from '@vectorizer/dev-model';
import { EmbeddingsRepository, ProductsRepository } from '@vectorizer/store';
import { repoRoot } from '@vectorizer/supervisor';
import type { Runtime } from './runtime';

export interface DemoCatalog {
  /** The folder of the catalog and its images (absolute). */
  dir: string;
  /** The JSONL catalog in it. */
  file: string;
  /** Whether `dir` is the default one `serve` shows images from without IMAGE_FILE_ROOT. */
  isDefaultDir: boolean;
}

/** Writes the demo catalog of `products` products and their image files to `dir` (default `<repo>/tmp/demo`). */
export async function writeDemo(products: number, dir?: string): Promise<DemoCatalog> {
  const defaultDir = defaultDemoDirectory(repoRoot());
  const target = resolve(dir ?? defaultDir);
  return { dir: target, file: await writeDemoCatalog(target, products), isDefaultDir: target === defaultDir };
}

/** The `vectorizer` command's script, for running its commands as child processes. */
export function vectorizerScript(): string {
  return join(repoRoot(), 'bin', 'vectorizer.js');
}

/** How far the configured model has embedded the catalog, read from Postgres. */
export interface EmbeddingProgress {
  /** Products in the catalog when it was opened. */
  total: number;
  embedded(): Promise<number>;
  close(): Promise<void>;
}

export async function openEmbeddingProgress(runtime: Runtime): Promise<EmbeddingProgress> {
  const pool = await runtime.openDatabase({ max: 1 });
  try {
    const model = await runtime.modelId();
    const total = await new ProductsRepository(pool).count();
    const embeddings = new EmbeddingsRepository(pool);
    return { total, embedded: () => embeddings.countEmbedded(model), close: () => pool.end() };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
