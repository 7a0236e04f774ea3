import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configKeys, loadConfig } from '@vectorizer/config';
import { parse } from 'yaml';
import { interpolateDocument, MissingComposeVariableError } from './compose-interpolation';

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string | string[] };
  restart?: string;
  stop_grace_period?: string;
  profiles?: string[];
  deploy?: {
    resources?: {
      reservations?: { devices?: { driver?: string; count?: string | number; capabilities?: string[] }[] };
    };
  };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const repoRoot = join(__dirname, '..', '..');
const composePath = join(repoRoot, 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
const requiredEnv = { POSTGRES_PASSWORD: 'compose-test-pg-password', DASHBOARD_PASSWORD: 'compose-test-dashboard' };

// Merge keys (`<<: *anchor`) are YAML 1.1; compose resolves them, so the parser must too.
const raw = parse(composeText, { merge: true }) as ComposeFile;
const compose = interpolateDocument(raw, requiredEnv);

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function words(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.flatMap((part) => part.split(/\s+/)) : value.split(/\s+/);
}

function environmentOf(svc: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(svc.environment)) {
    for (const entry of svc.environment) {
      const [key, ...rest] = entry.split('=');
      env[key] = rest.join('=');
    }
  } else {
    for (const [key, value] of Object.entries(svc.environment ?? {})) env[key] = value === null ? '' : String(value);
  }
  return env;
}

/** Named volumes mounted by a service, as { volumeName: containerPath }. */
function namedVolumesOf(svc: ComposeService): Record<string, string> {
  const mounts: Record<string, string> = {};
  for (const spec of svc.volumes ?? []) {
    const [source, target] = spec.split(':');
    if (target && !source.startsWith('.') && !source.startsWith('/')) mounts[source] = target;
  }
  return mounts;
}

function dependencyConditions(svc: ComposeService): Record<string, string> {
  if (Array.isArray(svc.depends_on)) return Object.fromEntries(svc.depends_on.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(svc.depends_on ?? {}).map(([name, dep]) => [name, dep.condition]));
}

function durationSeconds(value: string | undefined): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(value ?? '');
  if (!value || !match) throw new Error(`unparseable duration ${String(value)}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

const vectorizerServices = Object.entries(compose.services)
  .filter(([, svc]) => svc.build?.dockerfile === 'infra/docker/Dockerfile')
  .map(([name]) => name);

describe('docker-compose.yml (parsed)', () => {
  it('keeps the queue durable in redis: AOF fsynced every second, no eviction, a volume, a healthcheck', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
    const args = words(redis.command).join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--appendfsync everysec');
    expect(args).toContain('--maxmemory-policy noeviction');
    expect(Object.values(namedVolumesOf(redis))).toContain('/data');
    expect(words(redis.healthcheck?.test)).toEqual(expect.arrayContaining(['redis-cli', 'ping']));
  });

  it('runs postgres from a pgvector image with a volume and a pg_isready healthcheck', () => {
    const postgres = service('postgres');
    expect(postgres.image).toMatch(/^pgvector\/pgvector:(\S+-)?pg1[5-9]$/);
    expect(Object.values(namedVolumesOf(postgres))).toContain('/var/lib/postgresql/data');
    expect(words(postgres.healthcheck?.test)).toContain('pg_isready');
  });

  it('runs every vectorizer container with NODE_ENV=production and ALLOW_DEV_MODEL off unless set', () => {
    for (const name of vectorizerServices) {
      expect(environmentOf(service(name))).toMatchObject({ NODE_ENV: 'production' });
    }
    expect(composeText).toContain('ALLOW_DEV_MODEL: ${ALLOW_DEV_MODEL:-false}');
  });

  it('migrates once, after postgres is healthy', () => {
    const migrate = service('migrate');
    expect(words(migrate.command)).toEqual(['migrate']);
    expect(migrate.restart).toBe('no');
    expect(migrate.profiles).toBeUndefined();
    expect(dependencyConditions(migrate)).toMatchObject({ postgres: 'service_healthy' });
  });

  it('starts the api after a successful migration and a healthy redis, listening on all interfaces', () => {
    const api = service('api');
    expect(words(api.command)).toEqual(['serve']);
    expect(dependencyConditions(api)).toMatchObject({
      migrate: 'service_completed_successfully',
      redis: 'service_healthy',
    });
    expect(environmentOf(api)).toMatchObject({ HOST: '0.0.0.0', PORT: '3000' });
    expect(words(api.healthcheck?.test).join(' ')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:3000\/healthz'\)/);
    expect(raw.services.api.environment).toMatchObject({
      DASHBOARD_PASSWORD: expect.stringMatching(/^\$\{DASHBOARD_PASSWORD:\?/),
    });
  });

  it('bounds the api restarts like the workers: an api that cannot start (exit 78) stays down after five', () => {
    expect(service('api').restart).toBe('on-failure:5');
  });

  it('passes IMAGE_FILE_ROOT through to every vectorizer container (empty: file:// refused)', () => {
    const withRoot = interpolateDocument(raw, { ...requiredEnv, IMAGE_FILE_ROOT: '/catalog-images' });
    for (const name of vectorizerServices) {
      const env = environmentOf(withRoot.services[name]);
      expect({ name, root: env.IMAGE_FILE_ROOT }).toEqual({ name, root: '/catalog-images' });
      expect(loadConfig(env).IMAGE_FILE_ROOT).toBe('/catalog-images');
      expect(loadConfig(environmentOf(service(name))).IMAGE_FILE_ROOT).toBeUndefined();
    }
  });

  it('puts the GPU worker in the workers profile, reserving every NVIDIA GPU', () => {
    const worker = service('worker');
    expect(worker.profiles).toEqual(['workers']);
    expect(worker.build?.target).toBe('gpu');
    expect(words(worker.command)).toEqual(['worker']);
    const devices = worker.deploy?.resources?.reservations?.devices ?? [];
    expect(devices).toEqual([expect.objectContaining({ driver: 'nvidia', count: 'all' })]);
    expect(devices[0].capabilities).toContain('gpu');
  });

  it.each(['worker', 'worker-cpu'])(
    '%s restarts on failure (five times at most), shares the model cache and proves the model loaded',
    (name) => {
      const worker = service(name);
      expect(worker.restart).toBe('on-failure:5');
      expect(namedVolumesOf(worker)).toMatchObject({ models: '/models' });
      expect(environmentOf(worker)).toMatchObject({ HF_HOME: '/models' });
      expect(words(worker.healthcheck?.test)).toEqual(
        expect.arrayContaining(['bin/vectorizer.js', 'worker', '--health']),
      );
      // Long enough for WORKER_SHUTDOWN_TIMEOUT_MS (60 s default) to commit an in-flight batch.
      expect(durationSeconds(worker.stop_grace_period)).toBeGreaterThanOrEqual(60);
      expect(dependencyConditions(worker)).toMatchObject({ migrate: 'service_completed_successfully' });
    },
  );

  it('offers a CPU worker under its own profile', () => {
    const worker = service('worker-cpu');
    expect(worker.profiles).toEqual(['workers-cpu']);
    expect(worker.build?.target).toBe('cpu');
    expect(worker.deploy).toBeUndefined();
    expect(environmentOf(worker)).toMatchObject({ VECTORIZER_DEVICE: 'cpu' });
  });

  it('fetches MODEL_ID into the shared model cache first: migrate, the api and every worker wait for it', () => {
    const fetch = service('model-fetch');
    expect(fetch.profiles).toBeUndefined();
    expect(words(fetch.command)).toEqual(['model', 'fetch']);
    expect(fetch.restart).toBe('no');
    expect(namedVolumesOf(fetch)).toMatchObject({ models: '/models' });
    expect(environmentOf(fetch)).toMatchObject({ HF_HOME: '/models' });
    for (const name of ['migrate', 'api', 'worker', 'worker-cpu'])
      expect({ name, ...dependencyConditions(service(name)) }).toMatchObject({
        name,
        'model-fetch': 'service_completed_successfully',
      });
  });

  it('requires the GPU in the GPU worker (no silent CPU fallback)', () => {
    expect(environmentOf(service('worker'))).toMatchObject({ VECTORIZER_DEVICE: 'cuda', ALLOW_CPU_FALLBACK: 'false' });
  });

  it('declares every named volume it mounts', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const svc of Object.values(compose.services)) {
      for (const volume of Object.keys(namedVolumesOf(svc))) expect(declared).toContain(volume);
    }
  });

  it('gives vectorizer containers only settings that libs/config knows and accepts', () => {
    expect(vectorizerServices).toEqual(expect.arrayContaining(['migrate', 'api', 'worker', 'worker-cpu']));
    for (const name of vectorizerServices) {
      const env = environmentOf(service(name));
      const unknown = Object.keys(env).filter((key) => !(configKeys as string[]).includes(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
      expect(() => loadConfig(env)).not.toThrow();
    }
  });

  it.each(Object.keys(requiredEnv))('refuses to start without %s', (variable) => {
    const env: Record<string, string> = { ...requiredEnv };
    delete env[variable];
    expect(() => interpolateDocument(raw, env)).toThrow(MissingComposeVariableError);
    expect(() => interpolateDocument(raw, env)).toThrow(new RegExp(variable));
  });
});

/** docker-compose v1 (Debian's package) or the v2 `docker compose` plugin, whichever is installed. */
function findComposeTool(): string[] | undefined {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    const probe = spawnSync(candidate[0], [...candidate.slice(1), 'version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return candidate;
  }
  return undefined;
}

function runCompose(tool: string[], emptyEnvFile: string, args: string[], env: Record<string, string>) {
  // An empty --env-file keeps a developer's .env from leaking into the check.
  return spawnSync(tool[0], [...tool.slice(1), '-f', composePath, '--env-file', emptyEnvFile, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
}

describe('docker-compose.yml (validated by the compose tool)', () => {
  const tool = findComposeTool();
  const scratch = mkdtempSync(join(tmpdir(), 'vectorizer-compose-'));
  const emptyEnvFile = join(scratch, 'empty.env');
  writeFileSync(emptyEnvFile, '');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const whenTool = (title: string, check: (tool: string[]) => void) =>
    it(title, () => {
      if (!tool) {
        console.warn(`docker-compose not installed (apt-get install docker-compose): skipped "${title}"`);
        return;
      }
      check(tool);
    });

  whenTool('accepts the file with every profile', (composeTool) => {
    const result = runCompose(
      composeTool,
      emptyEnvFile,
      ['--profile', 'workers', '--profile', 'workers-cpu', '--profile', 'tools', 'config'],
      requiredEnv,
    );
    expect(result.stderr).not.toMatch(/error|invalid/i);
    expect(result.status).toBe(0);

    // Resolved by compose itself: anchors and merge keys land where the parser-based checks assume.
    const resolved = parse(result.stdout) as ComposeFile;
    expect(Object.keys(resolved.services)).toEqual(
      expect.arrayContaining(['redis', 'postgres', 'model-fetch', 'migrate', 'api', 'worker', 'worker-cpu']),
    );
    expect(resolved.services.worker.restart).toBe('on-failure:5');
    expect(environmentOf(resolved.services.worker).VECTORIZER_DEVICE).toBe('cuda');
    expect(dependencyConditions(resolved.services.worker)).toMatchObject({
      'model-fetch': 'service_completed_successfully',
    });
    expect(resolved.services.worker.deploy?.resources?.reservations?.devices?.[0]?.capabilities).toContain('gpu');
    expect(environmentOf(resolved.services.api).DATABASE_URL).toContain(requiredEnv.POSTGRES_PASSWORD);
  });

  whenTool('rejects it without DASHBOARD_PASSWORD, naming the variable', (composeTool) => {
    const result = runCompose(composeTool, emptyEnvFile, ['config', '-q'], {
      POSTGRES_PASSWORD: requiredEnv.POSTGRES_PASSWORD,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DASHBOARD_PASSWORD');
  });
});
