import type { Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import { EmbeddingsRepository, ProductsRepository, createPool, poolOptionsFromConfig } from '@vectorizer/store';
import { runCommand } from '../context';
import { type DuplicateGroup, findDuplicates } from '@vectorizer/search';
import { resolveConfiguredModel } from './model';

function parseThreshold(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new VectorizerError(
      'SEARCH_INPUT_INVALID',
      `--threshold must be a cosine similarity in (0, 1], got ${JSON.stringify(raw)}`,
      {
        hint: 'Use e.g. --threshold 0.97 (higher: only closer duplicates).',
      },
    );
  }
  return value;
}

function parseNeighbours(raw: string, maxK: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > maxK) {
    throw new VectorizerError(
      'SEARCH_INPUT_INVALID',
      `-k must be a whole number from 1 to ${maxK}, got ${JSON.stringify(raw)}`,
      {
        hint: `Pass -k between 1 and ${maxK} (SEARCH_MAX_K).`,
      },
    );
  }
  return value;
}

function printGroups(groups: DuplicateGroup[], threshold: number): void {
  const out = process.stdout;
  if (groups.length === 0) {
    out.write(`No near-duplicates at similarity >= ${threshold}.\n`);
    return;
  }
  groups.forEach((group, index) => {
    out.write(
      `group ${index + 1}: ${group.products.length} products, similarity ${group.minScore.toFixed(4)}–${group.maxScore.toFixed(4)}\n`,
    );
    for (const product of group.products)
      out.write(`  ${product.productId}\t${product.title ?? ''}\t${product.imageUrl}\n`);
  });
  out.write(`${groups.length} group(s), ${groups.reduce((sum, g) => sum + g.products.length, 0)} products.\n`);
}

export function registerDuplicates(program: Command): void {
  program
    .command('duplicates')
    .description(
      "Find groups of near-duplicate products: each product's nearest neighbours through the HNSW index, linked above a similarity threshold.",
    )
    .option('--threshold <similarity>', 'cosine similarity at or above which two products count as duplicates', '0.97')
    .option('-k, --neighbours <n>', 'neighbours looked at per product', '10')
    .option('--json', 'print {threshold, groups} as JSON')
    .action((opts: { threshold: string; neighbours: string; json?: boolean }) =>
      runCommand('duplicates', async ({ config, logger }) => {
        const threshold = parseThreshold(opts.threshold);
        const k = parseNeighbours(opts.neighbours, config.SEARCH_MAX_K);
        const model = await resolveConfiguredModel(config, logger);
        const pool = createPool(config.DATABASE_URL, { ...poolOptionsFromConfig(config), max: 2 });
        try {
          const embeddings = new EmbeddingsRepository(pool);
          const products = new ProductsRepository(pool);
          const groups = await findDuplicates({
            productIds: embeddings.embeddedProductIds(model.id),
            neighbours: (productId) => embeddings.similarToProduct(productId, model.id, k, config.SEARCH_EF_SEARCH),
            describe: (productId) => products.get(productId),
            threshold,
            onProgress: (done) => logger.debug({ done }, 'duplicates: products looked at'),
          });
          if (opts.json) process.stdout.write(`${JSON.stringify({ threshold, model: model.id, groups }, null, 2)}\n`);
          else printGroups(groups, threshold);
        } finally {
          await pool.end();
        }
      }),
    );
}
