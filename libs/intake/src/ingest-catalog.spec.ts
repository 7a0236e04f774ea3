import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getQueueStats, jobIdFor, type EmbedQueue } from '@vectorizer/queue';
import { EmbeddingsRepository, type ProductsRepository } from '@vectorizer/store';
import { uniquePrefix } from '@vectorizer/testing';
import { detectFormat, readCatalog } from './catalog-reader';
import { ingestCatalog, type MalformedLine } from './ingest-catalog';
import { QueueWindow } from './queue-window';
import { openIntakeTestbed, type IntakeTestbed } from './testing/intake-testbed';

const MODEL = 'test/model';

describe('ingestCatalog (real Postgres and Redis)', () => {
  let bed: IntakeTestbed;
  let db: IntakeTestbed['db'];
  let connection: IntakeTestbed['connection'];
  let products: ProductsRepository;
  let queue: EmbedQueue;
  let dir: string;

  beforeAll(async () => {
    bed = await openIntakeTestbed('cli_ingest', { model: MODEL, poolMax: 2 });
    ({ db, connection, products } = bed);
    queue = bed.embedQueue(uniquePrefix('ingest'));
    dir = await mkdtemp(join(tmpdir(), 'ingest-'));
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await bed.close();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await queue.obliterate({ force: true });
    await db.pool.query('TRUNCATE products CASCADE');
  });

  async function ingest(name: string, content: string, chunkSize = 2, queueWindow = 0) {
    const file = join(dir, name);
    await writeFile(file, content);
    const malformed: MalformedLine[] = [];
    const summary = await ingestCatalog({
      entries: readCatalog(file, detectFormat(file, content.trimStart()[0])).entries,
      products,
      window: new QueueWindow({ queue, connection }, queueWindow, products),
      model: MODEL,
      chunkSize,
      onMalformed: (m) => malformed.push(m),
    });
    return { summary, malformed };
  }

  const jsonl = (...rows: unknown[]) =>
    rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';

  it('upserts valid lines with extra fields as attributes, enqueues them, and reports every bad line by number', async () => {
    const { summary, malformed } = await ingest(
      'catalog.jsonl',
      jsonl(
        { id: 'p1', image_url: 'https://cdn.example/1.jpg', title: 'Red shoe', color: 'red', sizes: [40, 41] },
        '{"id": "p2", "image_url": ',
        { id: 'p3', image_url: 'https://cdn.example/3.jpg' },
        { image_url: 'https://cdn.example/4.jpg' },
        '',
        { id: 'p5', image_url: 'not a url' },
        { id: 42, image_url: 'https://cdn.example/42.jpg', title: null },
        { id: 'p6' },
      ),
    );
    expect(malformed.map((m) => m.line)).toEqual([2, 4, 6, 8]);
    expect(malformed[0].error).toContain('invalid JSON');
    expect(malformed[1].error).toContain('missing "id"');
    expect(malformed[2].error).toContain('not a URL');
    expect(malformed[3].error).toContain('missing "image_url"');
    expect(summary).toMatchObject({ lines: 7, accepted: 3, changed: 3, enqueued: 3, alreadyQueued: 0, malformed: 4 });
    expect(await products.get('p1')).toMatchObject({
      title: 'Red shoe',
      attributes: { color: 'red', sizes: [40, 41] },
    });
    expect(await products.get('42')).toMatchObject({ imageUrl: 'https://cdn.example/42.jpg', attributes: null });
    expect(await queue.getJob(jobIdFor('p1', 'https://cdn.example/1.jpg', MODEL))).toBeDefined();
  });

  it('enqueues only what is missing or stale on a re-ingest', async () => {
    const first = jsonl(
      { id: 'a', image_url: 'https://x.example/a.jpg' },
      { id: 'b', image_url: 'https://x.example/b.jpg' },
      { id: 'c', image_url: 'https://x.example/c.jpg' },
    );
    await ingest('first.jsonl', first);
    // The worker embedded a, and its job completed (completed jobs are removed).
    await new EmbeddingsRepository(db.pool).upsertMany([
      {
        productId: 'a',
        model: MODEL,
        embedding: new Float32Array([1, 0, 0, 0]),
        imageUrl: 'https://x.example/a.jpg',
        imageSha256: 'f'.repeat(64),
      },
    ]);
    await queue.remove(jobIdFor('a', 'https://x.example/a.jpg', MODEL));

    const again = await ingest('again.jsonl', first);
    // b and c still have pending jobs; a is embedded: nothing new.
    expect(again.summary).toMatchObject({ accepted: 3, changed: 0, enqueued: 0, alreadyQueued: 2 });

    const changedImage = await ingest('changed.jsonl', jsonl({ id: 'a', image_url: 'https://x.example/a-v2.jpg' }));
    expect(changedImage.summary).toMatchObject({ changed: 1, enqueued: 1 });
    expect(await queue.getJob(jobIdFor('a', 'https://x.example/a-v2.jpg', MODEL))).toBeDefined();
    expect((await getQueueStats(queue)).waiting).toBe(3);
  });

  it('keeps file order across chunks in flight: a product listed again later ends with its last line', async () => {
    // The first chunk's upsert holds back until a later chunk has written (or 300 ms passed, which is
    // what happens when upserts are correctly serialised): out-of-order writes would end with line 1.
    let laterChunkWrote!: () => void;
    const laterWrite = new Promise<void>((resolve) => (laterChunkWrote = resolve));
    let calls = 0;
    const slowFirst = Object.assign(Object.create(products) as ProductsRepository, {
      upsertMany: async (chunk: Parameters<ProductsRepository['upsertMany']>[0]) => {
        calls += 1;
        if (calls === 1) await Promise.race([laterWrite, new Promise((resolve) => setTimeout(resolve, 300))]);
        const changed = await products.upsertMany(chunk);
        if (calls > 1) laterChunkWrote();
        return changed;
      },
    });
    const file = join(dir, 'repeated.jsonl');
    await writeFile(
      file,
      jsonl(
        { id: 'p0', image_url: 'https://x.example/first.jpg' },
        { id: 'p0', image_url: 'https://x.example/last.jpg' },
      ),
    );
    const summary = await ingestCatalog({
      entries: readCatalog(file, 'jsonl').entries,
      products: slowFirst,
      window: new QueueWindow({ queue, connection }, 0, products),
      model: MODEL,
      chunkSize: 1,
    });
    expect(summary).toMatchObject({ lines: 2, accepted: 2, malformed: 0 });
    expect(await products.get('p0')).toMatchObject({ imageUrl: 'https://x.example/last.jpg' });
  });

  it('reads CSV with a header, extra columns as attributes, and reports bad rows by line', async () => {
    const { summary, malformed } = await ingest(
      'catalog.csv',
      'id,image_url,title,brand\n' +
        'c1,https://x.example/c1.jpg,"Shoe, red",Acme\n' +
        'c2,https://x.example/c2.jpg\n' +
        'c3,ftp://x.example/c3.jpg,T,B\n' +
        'c4,https://x.example/c4.jpg,,\n',
    );
    expect(malformed).toEqual([
      { line: 3, error: 'expected 4 columns as in the header, got 2' },
      { line: 4, error: 'product c3: "image_url" must be http(s) or file, got ftp:' },
    ]);
    expect(summary).toMatchObject({ accepted: 2, enqueued: 2, malformed: 2 });
    expect(await products.get('c1')).toMatchObject({ title: 'Shoe, red', attributes: { brand: 'Acme' } });
    expect(await products.get('c4')).toMatchObject({ title: null, attributes: { brand: '' } });
  });

  it('rejects a CSV whose header lacks id or image_url', async () => {
    await expect(ingest('bad.csv', 'sku,url\n1,https://x.example/1.jpg\n')).rejects.toMatchObject({
      code: 'CATALOG_HEADER_INVALID',
    });
  });

  it('enqueues at most QUEUE_WINDOW jobs and leaves the rest pending in Postgres', async () => {
    const rows = Array.from({ length: 9 }, (_, i) => ({ id: `w${i}`, image_url: `https://img/w${i}.jpg` }));
    const { summary } = await ingest('window.jsonl', jsonl(...rows), 2, 3);
    expect(summary).toMatchObject({ accepted: 9, changed: 9, enqueued: 3 });
    expect(summary.deferred).toBeGreaterThanOrEqual(6);
    expect((await getQueueStats(queue)).waiting).toBe(3);
    expect(await products.count()).toBe(9);
  });
});
