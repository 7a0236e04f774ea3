import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
// Inside the repository (tmp/ is gitignored), like dist/: the bundles find the repository root from their own folder.
mkdirSync(join(repoRoot, 'tmp'), { recursive: true });
const outdir = mkdtempSync(join(repoRoot, 'tmp', 'build-spec-'));
/** Preloaded into every process (NODE_OPTIONS): records the script each one runs and the npm packages it loads. */
const tracer = join(outdir, 'trace.cjs');
const traceFile = join(outdir, 'trace.jsonl');

/** Packages the CLI must not load to print help: each costs tens to hundreds of ms. */
const HEAVY = ['bullmq', 'ioredis', 'pg', 'sharp', 'onnxruntime-node', 'onnx-proto', 'pino', 'undici', 'tsx'];

interface Trace {
  script: string;
  packages: string[];
}

function traces(): Trace[] {
  return readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Trace);
}

function run(file: string, args: string[], env: Record<string, string> = {}) {
  rmSync(traceFile, { force: true });
  return spawnSync(process.execPath, [join(outdir, file), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_FORMAT: 'json',
      NODE_OPTIONS: `--require ${tracer}`,
      ...env,
    },
  });
}

beforeAll(() => {
  execFileSync(process.execPath, [join(repoRoot, 'tools', 'build.mjs'), '--outdir', outdir], { cwd: repoRoot });
  writeFileSync(
    tracer,
    `const Module = require('node:module');
const packages = new Set();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (!isMain && !Module.isBuiltin(request) && !/^[./]/.test(request)) packages.add(request.replace(/^((@[^/]+\\/)?[^/]+).*$/, '$1'));
  return load.apply(this, arguments);
};
process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(traceFile)},
  JSON.stringify({ script: process.argv[1], packages: [...packages] }) + '\\n'));
`,
  );
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the production build (tools/build.mjs)', () => {
  it('writes one bundle per process, the search page and the list of sources it was built from', () => {
    const info = JSON.parse(readFileSync(join(outdir, 'build-info.json'), 'utf8')) as { inputs: string[] };
    expect(info.inputs).toEqual(expect.arrayContaining(['apps/cli/src/main.ts', 'apps/worker/src/main.ts']));
    for (const file of ['cli.js', 'worker.js', 'api.js', 'inference-thread.js', 'public/index.html']) {
      expect(readFileSync(join(outdir, file), 'utf8').length).toBeGreaterThan(0);
    }
  });

  it.each([[['--help']], [['status', '--help']]])(
    'cli.js %j prints help loading commander, not the pipeline',
    (args) => {
      const result = run('cli.js', args);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      if (args[0] === 'status') expect(result.stdout).toMatch(/Usage: vectorizer status/);
      else
        for (const command of ['status', 'worker', 'serve', 'ingest', 'migrate'])
          expect(result.stdout).toContain(command);
      const [trace] = traces();
      expect(trace.packages).toContain('commander');
      expect(trace.packages.filter((name) => HEAVY.includes(name))).toEqual([]);
    },
  );

  it('worker.js starts far enough to refuse a bad configuration with its code', () => {
    const result = run('worker.js', [], { VECTORIZER_DEVICE: 'bogus' });
    expect(result.status).toBe(78);
    expect(result.stdout + result.stderr).toMatch(/"code":"CONFIG_INVALID"/);
  });

  it('the CLI bundle supervises the worker bundle, without tsx', () => {
    const result = run('cli.js', ['worker'], {
      VECTORIZER_DEVICE: 'cpu',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/vectorizer_build_spec_no_such_db',
    });
    // The worker refuses the missing database (78) and the supervisor gives up on it.
    expect(result.stdout + result.stderr).toMatch(/POSTGRES_DATABASE_MISSING/);
    const scripts = traces().map((trace) => trace.script);
    expect(scripts.sort()).toEqual([join(outdir, 'cli.js'), join(outdir, 'worker.js')].sort());
    expect(traces().flatMap((trace) => trace.packages)).not.toContain('tsx');
  });
});
