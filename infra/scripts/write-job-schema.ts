/*
 * Writes the job contract's machine-readable files from the code, formatted as the repo's prettier
 * would: docs/job-payload.schema.json (libs/queue/src/job-payload.ts's zod schema) and
 * docs/job-id-examples.json (jobIdFor on inputs chosen to catch a wrong length or encoding).
 * Run after changing either: `npx tsx infra/scripts/write-job-schema.ts`; a test fails until then.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format } from 'prettier';
import { jobIdFor, jobPayloadJsonSchema } from '@vectorizer/queue';

/** ASCII, a separator inside a field, a 2-byte UTF-8 letter, and an emoji (2 UTF-16 units, 1 code point). */
const JOB_ID_EXAMPLE_INPUTS: { productId: string; imageUrl: string; model: string }[] = [
  { productId: 'p1', imageUrl: 'https://cdn.example/p1.jpg', model: 'Xenova/siglip-base-patch16-224' },
  { productId: 'a|b', imageUrl: 'https://cdn.example/x:1.jpg', model: 'm' },
  { productId: 'café-42', imageUrl: 'https://cdn.example/café.jpg', model: 'm' },
  { productId: 'gift-🎁', imageUrl: 'https://cdn.example/🎁.png', model: 'm' },
];

async function writeJson(file: string, value: unknown): Promise<void> {
  const target = join(__dirname, '..', '..', 'docs', file);
  await writeFile(target, await format(JSON.stringify(value), { parser: 'json', printWidth: 120 }));
  console.log(`wrote ${target}`);
}

async function main(): Promise<void> {
  await writeJson('job-payload.schema.json', jobPayloadJsonSchema());
  await writeJson(
    'job-id-examples.json',
    JOB_ID_EXAMPLE_INPUTS.map((input) => ({ ...input, jobId: jobIdFor(input.productId, input.imageUrl, input.model) })),
  );
}

void main();
