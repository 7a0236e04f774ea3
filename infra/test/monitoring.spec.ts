import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel, writeDemoCatalog } from '@vectorizer/dev-model';
import { METRIC_NAMES } from '@vectorizer/telemetry';
import {
  createTestDatabase,
  DEV_TINY_MODEL_DIR,
  eventually,
  freePort,
  startServe,
  TEST_REDIS_URL,
  uniquePrefix,
  type ServeProcess,
  type TestDatabase,
} from '@vectorizer/testing';
import { parse } from 'yaml';

const REPO_ROOT = join(__dirname, '../..');
const CLI = join(REPO_ROOT, 'bin/vectorizer.js');
const RULES = join(REPO_ROOT, 'infra/prometheus/vectorizer.rules.yml');
const DASHBOARD = join(REPO_ROOT, 'infra/grafana/vectorizer.json');
const PRODUCTS = 40;

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}
interface RuleFile {
  groups: { name: string; rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
}
interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
  warnings?: string[];
}
type Series = { metric: Record<string, string>; values: [number, string][] };

/** The rows of the dashboard, in order (the closing note lists them). */
const ROWS = [
  'Throughput',
  'Queue',
  'Batches',
  'Time per stage',
  'Dead letters',
  'Reuse',
  'Outages and pauses',
  'Workers',
];

/** The panels under each row, in the dashboard's flat list (rows are not collapsed). */
function panelsByRow(dashboard: Dashboard): Map<string, Panel[]> {
  const rows = new Map<string, Panel[]>();
  let current: Panel[] | undefined;
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') rows.set(panel.title, (current = []));
    else current?.push(panel);
  }
  return rows;
}

/** Metric names a PromQL expression reads, histogram suffixes folded onto their family. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bvectorizer_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, ''));
}

/** Grafana's interval variables, as Grafana would set them for a 1 s scrape. */
const asPromQL = (expr: string): string => expr.replaceAll('$__rate_interval', '5s').replaceAll('$__interval', '1s');

function vectorizer(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 180_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('the dashboard JSON (static checks: Grafana is not packaged in Debian)', () => {
  it('is a provisionable dashboard: a datasource variable, unique ids, laid out rows, every target a query', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    expect(dashboard.uid).toBe('vectorizer-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    expect([...panelsByRow(dashboard).keys()]).toEqual(ROWS);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const known = new Set<string>(Object.values(METRIC_NAMES));
    const cells = new Set<string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      // No two panels share a grid cell.
      for (let row = y; row < y + h; row += 1)
        for (let column = x; column < x + w; column += 1) {
          expect(cells.has(`${row}:${column}`)).toBe(false);
          cells.add(`${row}:${column}`);
        }
      if (panel.type === 'row') continue;
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const target of panel.targets ?? []) {
        // A renamed metric would leave an empty panel: every name is one the code exports.
        expect(metricsIn(target.expr).filter((name) => !known.has(name))).toEqual([]);
        expect(metricsIn(target.expr).length).toBeGreaterThan(0);
      }
    }
  });

  it('alerts read only metrics the code exports, and each says what to run first', async () => {
    const rules = parse(await readFile(RULES, 'utf8')) as RuleFile;
    const known = new Set<string>(Object.values(METRIC_NAMES));
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      expect(metricsIn(rule.expr).filter((name) => !known.has(name))).toEqual([]);
      expect(rule.annotations['summary']).toBeTruthy();
      expect(rule.annotations['description']).toMatch(/`vectorizer (doctor|explain|dlq list)/);
    }
  });
});

/**
 * A real Prometheus (Debian's package) scrapes a real `vectorizer serve` every second while a real
 * `vectorizer worker --drain` embeds a demo catalog with the tiny dev model; then every dashboard
 * query and every alert expression is evaluated on it.
 */
describe('monitoring on a real Prometheus during a drain', () => {
  let db: TestDatabase;
  let dir: string;
  let api: ServeProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let env: Record<string, string>;
  let drainStart: number;
  let drainEnd: number;

  const query = async <T>(path: string, params: Record<string, string>): Promise<PromResponse<T>> => {
    const response = await fetch(`${promUrl}${path}?${new URLSearchParams(params).toString()}`);
    return (await response.json()) as PromResponse<T>;
  };
  const instant = async (expr: string): Promise<number | undefined> => {
    const answer = await query<{ result: { value: [number, string] }[] }>('/api/v1/query', { query: expr });
    const value = answer.data.result[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  };

  beforeAll(async () => {
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
    db = await createTestDatabase('monitoring');
    dir = await mkdtemp(join(tmpdir(), 'vectorizer-monitoring-'));
    const catalog = await writeDemoCatalog(join(dir, 'demo'), PRODUCTS);
    // One product whose image file does not exist: a dead letter with its code.
    await appendFile(
      catalog,
      `${JSON.stringify({ id: 'missing-image', image_url: `file://${dir}/demo/images/none.jpg` })}\n`,
    );
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniquePrefix('monitoring'),
      MODEL_DIR: DEV_TINY_MODEL_DIR,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      VECTORIZER_DEVICE: 'cpu',
      INFERENCE_THREADS: '1',
      IMAGE_FILE_ROOT: join(dir, 'demo'),
      WATCH: 'false',
    };
    const migrate = await vectorizer(['migrate'], env);
    expect(migrate).toMatchObject({ code: 0 });
    api = await startServe(env);

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [RULES],
        scrape_configs: [{ job_name: 'vectorizer', static_configs: [{ targets: [new URL(api.url).host] }] }],
      }),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.on('error', (error) => {
      throw new Error(`prometheus could not start (${error.message}): run bash infra/scripts/ensure-system-deps.sh`);
    });
    await eventually(
      async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok === true,
      'prometheus ready',
    );
    await eventually(async () => (await instant('up{job="vectorizer"}')) === 1, 'the API scraped', 30_000);

    const ingest = await vectorizer(['ingest', catalog], env);
    expect(ingest).toMatchObject({ code: 0 });
    drainStart = Date.now();
    const drain = await vectorizer(['worker', '--drain'], env);
    drainEnd = Date.now();
    expect(drain.code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await api?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reaches /metrics with the worker's final counts once it stopped", async () => {
    // The drain's last seconds fall between two heartbeats: without the stop's final snapshot they never arrive.
    await eventually(
      async () => (await instant('sum(vectorizer_jobs_completed_total)')) === PRODUCTS,
      `Prometheus sees all ${PRODUCTS} completed jobs after the drain`,
      30_000,
    );
    expect(await instant('sum(vectorizer_live_workers)')).toBe(0);
    expect(await instant('sum(vectorizer_jobs_dead_lettered_total{code="FETCH_NOT_FOUND"})')).toBe(1);
  }, 60_000);

  it('evaluates every dashboard query without errors, and the throughput panels are not empty', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    const start = String(Math.floor(drainStart / 1000) - 5);
    const end = String(Math.ceil(Date.now() / 1000));
    const empty: string[] = [];
    for (const [row, panels] of panelsByRow(dashboard)) {
      for (const panel of panels) {
        for (const target of panel.targets ?? []) {
          const answer = await query<{ result: Series[] }>('/api/v1/query_range', {
            query: asPromQL(target.expr),
            start,
            end,
            step: '1',
          });
          expect({ panel: panel.title, status: answer.status, error: answer.error, warnings: answer.warnings }).toEqual(
            {
              panel: panel.title,
              status: 'success',
              error: undefined,
              warnings: undefined,
            },
          );
          const nonZero = answer.data.result.some((series) => series.values.some(([, value]) => Number(value) > 0));
          if (!nonZero) empty.push(`${row} / ${panel.title} / ${target.refId}`);
        }
      }
    }
    process.stdout.write(
      `drain of ${PRODUCTS} products took ${((drainEnd - drainStart) / 1000).toFixed(1)} s; ` +
        `queries with no non-zero point (nothing of that kind happened): ${empty.join(', ') || 'none'}\n`,
    );
    const throughput = panelsByRow(dashboard).get('Throughput') ?? [];
    expect(throughput.length).toBeGreaterThan(0);
    // Every throughput panel's first query had something to show during the drain.
    expect(empty.filter((entry) => entry.startsWith('Throughput /') && entry.endsWith('/ A'))).toEqual([]);
    expect(empty).not.toContain('Time per stage / p95 time per stage / D');
  }, 120_000);

  it('evaluates every alert expression, and Prometheus evaluated each rule without error', async () => {
    const rules = parse(await readFile(RULES, 'utf8')) as RuleFile;
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      const answer = await query<unknown>('/api/v1/query', { query: rule.expr });
      expect({ alert: rule.alert, status: answer.status, error: answer.error }).toEqual({
        alert: rule.alert,
        status: 'success',
        error: undefined,
      });
    }
    const loaded = await query<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(
      '/api/v1/rules',
      {},
    );
    const health = loaded.data.groups.flatMap((group) => group.rules).map((r) => [r.name, r.health, r.lastError ?? '']);
    expect(health.length).toBe(rules.groups.flatMap((group) => group.rules).length);
    for (const [name, state, error] of health) expect({ name, state, error }).toEqual({ name, state: 'ok', error: '' });
  }, 60_000);
});
