import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel, writeDemoCatalog } from '@vectorizer/dev-model';
import {
  createTestDatabase,
  DEV_TINY_MODEL_DIR,
  eventually,
  TEST_REDIS_URL,
  uniquePrefix,
  type TestDatabase,
} from '@vectorizer/testing';
import { REPO_ROOT, cliEnv, runCli } from '../test-support/run-cli';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, string>;
}

/** Protobuf wire format, just enough of it: each field as (number, varint value or bytes). */
function fields(buffer: Buffer): [number, bigint | Buffer][] {
  const out: [number, bigint | Buffer][] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) out.push([key >> 3, varint()]);
    else if (wire === 2) {
      const length = Number(varint());
      out.push([key >> 3, buffer.subarray(at, at + length)]);
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}
const sub = (buffer: Buffer, field: number): Buffer[] =>
  fields(buffer)
    .filter(([number, value]) => number === field && Buffer.isBuffer(value))
    .map(([, value]) => value as Buffer);
const text = (buffer: Buffer, field: number): string => sub(buffer, field)[0]?.toString('utf8') ?? '';
const hex = (buffer: Buffer, field: number): string => sub(buffer, field)[0]?.toString('hex') ?? '';

/** KeyValue list → strings (AnyValue.string_value only: what these tests look at). */
function protoAttributes(buffer: Buffer, field: number): Record<string, string> {
  return Object.fromEntries(sub(buffer, field).map((kv) => [text(kv, 1), text(sub(kv, 2)[0] ?? Buffer.alloc(0), 1)]));
}

/** ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) → spans. */
function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  return sub(body, 1).flatMap((resourceSpans) => {
    const service = protoAttributes(sub(resourceSpans, 1)[0] ?? Buffer.alloc(0), 1)['service.name'] ?? '';
    return sub(resourceSpans, 2).flatMap((scopeSpans) =>
      sub(scopeSpans, 2).map((span) => ({
        service,
        traceId: hex(span, 1),
        spanId: hex(span, 2),
        parentSpanId: hex(span, 4),
        name: text(span, 5),
        attributes: protoAttributes(span, 9),
        links: sub(span, 13).map((link) => ({ traceId: hex(link, 1), spanId: hex(link, 2) })),
      })),
    );
  });
}

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string };
}
/** The same request in OTLP/JSON (ids as hex strings). */
function decodeJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans: {
      resource: { attributes: JsonKeyValue[] };
      scopeSpans: {
        spans: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          attributes?: JsonKeyValue[];
          links?: { traceId: string; spanId: string }[];
        }[];
      }[];
    }[];
  };
  const strings = (list: JsonKeyValue[] = []) =>
    Object.fromEntries(list.map((kv) => [kv.key, kv.value.stringValue ?? '']));
  return request.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((span) => ({
        service: strings(rs.resource.attributes)['service.name'] ?? '',
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        attributes: strings(span.attributes),
        links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
      })),
    ),
  );
}

/**
 * An OTLP/HTTP receiver on loopback: `vectorizer ingest` exports http/json, the worker (through its
 * supervisor) http/protobuf; one product's spans from both processes must form one trace.
 */
describe('OpenTelemetry traces across the CLI and the worker (local OTLP receiver)', () => {
  let server: Server;
  let endpoint: string;
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const type = req.headers['content-type'] ?? '';
        contentTypes.add(`${req.url} ${type}`);
        spans.push(...(type.includes('json') ? decodeJson(body) : decodeProtobuf(body)));
        res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' });
        res.end(type.includes('json') ? '{}' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
    db = await createTestDatabase('cli_tracing');
    dir = await mkdtemp(join(tmpdir(), 'vectorizer-tracing-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("joins one product's enqueue, job, fetch, decode and batch (by a link) in one trace across processes", async () => {
    const catalog = await writeDemoCatalog(dir, 6);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix('cli-tracing'),
      MODEL_DIR: DEV_TINY_MODEL_DIR,
      IMAGE_FILE_ROOT: dir,
      WATCH: 'false',
      LOG_LEVEL: 'warn',
    };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const ingest = await runCli(['ingest', catalog], {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'catalog-loader',
    });
    expect(ingest.code).toBe(0);
    const drain = await runCli(['worker', '--drain'], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: `${endpoint}/` });
    expect({ code: drain.code, stderr: drain.code === 0 ? '' : drain.stderr }).toEqual({ code: 0, stderr: '' });
    await eventually(
      () => spans.some((span) => span.name === 'vectorizer.write'),
      'the worker exported its spans',
      10_000,
    );

    // Off without an endpoint: `migrate` ran without one and sent nothing.
    expect(spans.some((s) => s.name === 'vectorizer migrate')).toBe(false);
    expect([...contentTypes].sort()).toEqual(['/v1/traces application/json', '/v1/traces application/x-protobuf']);
    const enqueue = spans.find(
      (s) => s.name === 'vectorizer.enqueue' && s.attributes['vectorizer.product_id'] === 'demo-0000',
    );
    expect(enqueue).toMatchObject({ service: 'catalog-loader', parentSpanId: '' });
    const ingestSpan = spans.find((s) => s.name === 'vectorizer ingest');
    expect(enqueue?.links).toContainEqual({ traceId: ingestSpan?.traceId, spanId: ingestSpan?.spanId });

    const trace = spans.filter((s) => s.traceId === enqueue?.traceId);
    const byName = (name: string) => trace.find((s) => s.name === name);
    const job = byName('process embed');
    expect(job).toMatchObject({ service: 'vectorizer-worker', parentSpanId: enqueue?.spanId });
    for (const name of ['vectorizer.fetch', 'vectorizer.decode', 'vectorizer.batch.join'])
      expect({ name, parent: byName(name)?.parentSpanId }).toEqual({ name, parent: job?.spanId });

    // The batch it joined is a trace of its own, linked from the job's side and back.
    const [link] = byName('vectorizer.batch.join')?.links ?? [];
    const batch = spans.find((s) => s.spanId === link?.spanId);
    expect(batch).toMatchObject({ name: 'vectorizer.batch', traceId: link?.traceId, parentSpanId: '' });
    expect(batch?.links).toContainEqual({ traceId: enqueue?.traceId, spanId: byName('vectorizer.batch.join')?.spanId });
    const inBatch = spans.filter((s) => s.parentSpanId === batch?.spanId).map((s) => s.name);
    expect(inBatch).toEqual(expect.arrayContaining(['vectorizer.inference', 'vectorizer.write']));
  }, 240_000);

  it("exports the API's spans as vectorizer-api: a product POSTed to `serve` starts its trace there", async () => {
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix('api-tracing'),
      MODEL_DIR: DEV_TINY_MODEL_DIR,
      HOST: '127.0.0.1',
      PORT: '0',
      DASHBOARD_TOKEN: 'tracing-dashboard',
      INGEST_TOKEN: 'tracing-ingest',
      WATCH: 'false',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    };
    const serve = spawn(process.execPath, [join(REPO_ROOT, 'bin/vectorizer.js'), 'serve'], {
      cwd: REPO_ROOT,
      env: cliEnv(env),
    });
    // The API process logs to stdout, the CLI wrapper to stderr.
    let output = '';
    serve.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    serve.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let code: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      serve.once('close', (exitCode) => {
        code = exitCode;
        resolve();
      }),
    );
    const listening = /API listening on (http:\/\/[\d.]+:\d+)/;
    try {
      await eventually(() => listening.test(output) || code !== undefined, 'the API listens or exits', 90_000);
      expect({ code, listening: listening.test(output), output: listening.test(output) ? '' : output }).toEqual({
        code: undefined,
        listening: true,
        output: '',
      });
      const url = listening.exec(output)?.[1] as string;
      const response = await fetch(`${url}/api/products`, {
        method: 'POST',
        headers: { authorization: 'Bearer tracing-ingest', 'content-type': 'application/json' },
        body: JSON.stringify([{ id: 'api-traced', image_url: 'https://img.test/api-traced.jpg' }]),
      });
      expect(response.status).toBe(200);
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
    const enqueue = spans.find(
      (s) => s.name === 'vectorizer.enqueue' && s.attributes['vectorizer.product_id'] === 'api-traced',
    );
    expect(enqueue).toMatchObject({ service: 'vectorizer-api', parentSpanId: '' });
  }, 180_000);
});
