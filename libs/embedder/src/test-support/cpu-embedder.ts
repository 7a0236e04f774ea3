import { createLogger } from '@vectorizer/logger';
import { Embedder, type EmbedderStartOptions } from '../embedder';
import type { ResolvedModel } from '../model/resolve-model';

/** The embedder every CPU test starts: one thread, batch 4, a silent logger; overrides win. */
export function startCpuEmbedder(
  model: ResolvedModel,
  overrides: Partial<Omit<EmbedderStartOptions, 'model'>> = {},
): Promise<Embedder> {
  return Embedder.start({
    model,
    device: 'cpu',
    allowCpuFallback: false,
    maxBatchSize: 4,
    threads: 1,
    logger: createLogger({ level: 'silent' }),
    ...overrides,
  });
}
