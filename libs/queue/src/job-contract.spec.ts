import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { uniquePrefix } from '@vectorizer/testing';
import { closeTestQueue, openTestQueue } from './test-support/test-queue';
import type { EmbedQueue } from './embed-queue';
import { EMBED_QUEUE } from './queue-names';
import { jobIdFor, jobPayloadJsonSchema, parseJobPayload } from './job-payload';
import { DEFAULT_RETENTION } from './job-options';
import { enqueueProducts } from './producer';

/*
 * The job contract of docs/job-contract.md, for producers in other languages: the files under docs/
 * must say exactly what the code does. Regenerate them with `npx tsx infra/scripts/write-job-schema.ts`.
 */
const DOCS = join(__dirname, '..', '..', '..', 'docs');
const readDoc = (file: string): unknown => JSON.parse(readFileSync(join(DOCS, file), 'utf8'));
const documentedSchema = readDoc('job-payload.schema.json') as Record<string, unknown>;
// The documented schema as a validator: what a Python or Go producer would check its payloads with.
const documentedValidator = z.fromJSONSchema(documentedSchema as Parameters<typeof z.fromJSONSchema>[0]);
const MODEL = 'Xenova/siglip-base-patch16-224';
const RETRY = { attempts: 7, backoffMs: 1_500 };

describe('job contract (docs/job-contract.md)', () => {
  let connection: Redis;
  let queue: EmbedQueue;
  const prefix = uniquePrefix('contract');

  beforeAll(async () => ({ connection, queue } = await openTestQueue(prefix, RETRY)));
  afterAll(() => closeTestQueue(queue, connection));

  it('docs/job-payload.schema.json is the payload schema the worker parses with, as JSON Schema', () => {
    expect(documentedSchema).toEqual(jobPayloadJsonSchema());
  });

  it("the producer's job, read back from Redis, has the documented key, name, payload and options", async () => {
    const product = { id: 'p-42', imageUrl: 'https://cdn.example/p-42.jpg' };
    await enqueueProducts({ queue, connection }, [product], MODEL);
    const jobId = jobIdFor(product.id, product.imageUrl, MODEL);
    const key = `${prefix}:${EMBED_QUEUE}:${jobId}`;
    expect(await connection.lrange(`${prefix}:${EMBED_QUEUE}:wait`, 0, -1)).toEqual([jobId]);

    const stored = await connection.hgetall(key);
    expect(stored.name).toBe('embed');
    const data: unknown = JSON.parse(stored.data ?? 'null');
    const validated = documentedValidator.safeParse(data);
    expect(validated.error?.issues ?? []).toEqual([]);
    expect(Object.keys(data as object).sort()).toEqual(Object.keys(documentedSchema.properties as object).sort());

    // Options a foreign producer must pass itself (defaultJobOptions live in our Queue object, not in Redis).
    const opts = JSON.parse(stored.opts ?? '{}') as Record<string, unknown>;
    expect(opts).toEqual({
      jobId,
      attempts: RETRY.attempts,
      backoff: { type: 'exponential-or-retry-after', delay: RETRY.backoffMs, jitter: 0.5 },
      removeOnComplete: { count: DEFAULT_RETENTION.completed.count, age: DEFAULT_RETENTION.completed.ageSeconds },
      removeOnFail: { count: DEFAULT_RETENTION.failed.count, age: DEFAULT_RETENTION.failed.ageSeconds },
    });
  });

  it('the documented schema rejects what the worker rejects, and accepts an offset timestamp as the worker does', () => {
    const valid = {
      productId: 'p1',
      imageUrl: 'https://x/a.jpg',
      model: MODEL,
      enqueuedAt: '2026-01-01T00:00:00.000Z',
    };
    const invalid = [
      { ...valid, model: undefined },
      { ...valid, productId: '' },
      { ...valid, enqueuedAt: 'yesterday' },
      { ...valid, imageUrl: 42 },
    ];
    for (const payload of invalid) {
      expect(documentedValidator.safeParse(payload).success).toBe(false);
      expect(() => parseJobPayload(payload)).toThrow();
    }
    // What Python's datetime.now(timezone.utc).isoformat() writes.
    const fromPython = { ...valid, enqueuedAt: '2026-01-01T00:00:00.123456+00:00' };
    expect(documentedValidator.safeParse(fromPython).success).toBe(true);
    expect(parseJobPayload(fromPython)).toEqual(fromPython);
  });

  it('docs/job-id-examples.json follows the job id rule, including non-ASCII ids', () => {
    const examples = readDoc('job-id-examples.json') as {
      productId: string;
      imageUrl: string;
      model: string;
      jobId: string;
    }[];
    expect(examples.length).toBeGreaterThanOrEqual(4);
    expect(examples.some((e) => [...e.productId].length !== e.productId.length)).toBe(true); // an astral character
    for (const example of examples) {
      expect(jobIdFor(example.productId, example.imageUrl, example.model)).toBe(example.jobId);
    }
  });
});
