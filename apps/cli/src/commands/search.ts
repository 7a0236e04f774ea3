import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { VectorizerError } from '@vectorizer/errors';
import { SearchInputError, openSearchServices } from '@vectorizer/runtime';
import type { SearchAnswer } from '@vectorizer/search';
import type { SearchHit } from '@vectorizer/store';
import { runCommand } from '../context';

interface SearchOptions {
  image?: string;
  text?: string;
  product?: string;
  k: string;
  filter?: string;
  json?: boolean;
}

async function readImage(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new VectorizerError('FILE_NOT_FOUND', `Cannot read ${path}: ${(error as Error).message}`, {
      hint: 'Pass an existing image file to --image.',
      cause: error,
    });
  }
}

function printHits(model: string, hits: SearchHit[]): void {
  process.stdout.write(`model ${model}\n`);
  if (hits.length === 0) {
    process.stdout.write('No results (nothing embedded for this model yet?).\n');
    return;
  }
  hits.forEach((hit, index) => {
    process.stdout.write(
      `${String(index + 1).padStart(3)}  ${hit.score.toFixed(4)}  ${hit.productId}\t${hit.title ?? ''}\t${hit.imageUrl}\n`,
    );
  });
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description(
      'Search the embedded catalog by an image file, a text query or a product id (cosine similarity through the HNSW index).',
    )
    .option('--image <file>', 'find products that look like this image')
    .option('--text <query>', "find products matching this description (needs the model's text tower)")
    .option('--product <id>', 'find products similar to this product')
    .option('-k <n>', 'number of results', '10')
    .option(
      '--filter <json>',
      'only products whose attributes hold these top-level values, e.g. \'{"category":"shoes"}\' (string, number or boolean values; all keys must match)',
    )
    .option('--json', 'print {model, results:[{productId,title,imageUrl,score}]} as JSON')
    .addHelpText(
      'after',
      '\nThe active model answers (`npx vectorizer models list`). --product compares stored vectors and works\n' +
        'with any active model; --image and --text embed the query with the configured model, which must be\n' +
        'the active one (ACTIVE_MODEL_NOT_LOADED otherwise).',
    )
    .action((opts: SearchOptions) =>
      runCommand('search', async ({ runtime }) => {
        const modes = [opts.image, opts.text, opts.product].filter((value) => value !== undefined);
        if (modes.length !== 1) {
          throw new SearchInputError(
            'Give exactly one of --image FILE, --text "..." or --product ID',
            'e.g. npx vectorizer search --text "red sneakers" -k 5',
          );
        }
        const services = openSearchServices(runtime);
        try {
          const k = services.input.k(opts.k, '-k');
          const filter = services.input.filter(opts.filter, '--filter');
          const text = opts.text === undefined ? undefined : services.input.text(opts.text, '--text');
          const { search } = services;
          let answer: SearchAnswer;
          if (opts.product !== undefined) answer = await search.similarToProduct(opts.product, k, filter);
          else if (opts.image !== undefined) answer = await search.byImage(await readImage(opts.image), k, filter);
          else answer = await search.byText(text as string, k, filter);
          if (opts.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
          else printHits(answer.model, answer.results);
        } finally {
          await services.close();
        }
      }),
    );
}
