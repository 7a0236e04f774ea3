import type { Command } from 'commander';
import { openSearchServices } from '@vectorizer/runtime';
import type { DuplicatesReport } from '@vectorizer/search';
import { runCommand } from '../context';

const f4 = (value: number) => value.toFixed(4);

/** Says how the threshold was chosen and from which distribution, so a user can judge and override it. */
function printChoice(report: DuplicatesReport): void {
  const { choice } = report;
  if (!choice) return;
  const d = choice.distribution;
  process.stdout.write(
    `nearest-neighbour similarity over ${d.count} products: min ${f4(d.min)}, p25 ${f4(d.p25)}, median ${f4(d.median)}, p75 ${f4(d.p75)}, p95 ${f4(d.p95)}, max ${f4(d.max)}\n`,
  );
  process.stdout.write(
    choice.gap
      ? `threshold ${f4(choice.threshold)} (auto: middle of the widest gap at or above the median, ${f4(choice.gap.below)} to ${f4(choice.gap.above)}; ${choice.productsAbove} products above it; override with --threshold)\n`
      : `threshold ${f4(choice.threshold)} (auto: no gap in the distribution, identical vectors only; override with --threshold)\n`,
  );
}

function printGroups(report: DuplicatesReport): void {
  const out = process.stdout;
  const { groups, threshold } = report;
  printChoice(report);
  if (groups.length === 0) {
    out.write(`No near-duplicates at similarity >= ${threshold}.\n`);
    return;
  }
  groups.forEach((group, index) => {
    out.write(
      `group ${index + 1}: ${group.products.length} products, similarity ${f4(group.minScore)}–${f4(group.maxScore)}\n`,
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
    .option(
      '--threshold <similarity>',
      'cosine similarity at or above which two products count as duplicates (default: auto, chosen from the catalog and printed)',
    )
    .option('-k, --neighbours <n>', 'neighbours looked at per product', '10')
    .option('--json', 'print {threshold, model, choice, groups} as JSON')
    .action((opts: { threshold?: string; neighbours: string; json?: boolean }) =>
      runCommand('duplicates', async ({ runtime, logger }) => {
        const services = openSearchServices(runtime);
        try {
          const threshold = services.input.threshold(opts.threshold, '--threshold');
          const k = services.input.k(opts.neighbours, '-k');
          const report = await services.duplicates.scan(threshold, k, (done) =>
            logger.debug({ done }, 'duplicates: products looked at'),
          );
          if (opts.json) {
            const { threshold: chosen, model, choice, groups } = report;
            process.stdout.write(`${JSON.stringify({ threshold: chosen, model, choice, groups }, null, 2)}\n`);
          } else printGroups(report);
        } finally {
          await services.close();
        }
      }),
    );
}
