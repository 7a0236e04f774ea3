/**
 * `npm run bench [-- --quick] [-- --only embedder,pipeline]`: runs every benchmark, one after the
 * other, each with `--json FILE` (the contract in support/bench-json.ts), and regenerates
 * docs/benchmarks.json and docs/benchmarks.md from what they wrote. Never edit those two by hand.
 * Benchmarks compete for cores: run it alone (`flock /tmp/bench.lock npm run bench`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { renderBenchmarksMarkdown, type BenchmarkOutcome, type BenchmarkReport } from './report/benchmark-report';
import { argValue, type BenchResult } from '../libs/embedder/bench/support/bench-json';

const ROOT = join(__dirname, '..');

/** In run order; a script that does not exist is reported as skipped. */
const BENCHMARKS = [
  { name: 'embedder', script: 'libs/embedder/bench/embedder.ts' },
  { name: 'pipeline', script: 'bench/pipeline.ts' },
  { name: 'feed', script: 'bench/feed.ts' },
  { name: 'dtype', script: 'libs/embedder/bench/dtype.ts' },
  { name: 'cli-start', script: 'bench/cli-start.ts' },
  { name: 'ingest', script: 'bench/ingest.ts' },
  { name: 'intake', script: 'bench/intake.ts' },
  { name: 'search', script: 'bench/search.ts' },
  { name: 'filtered-search', script: 'bench/filtered-search.ts' },
] as const;

function machine(): BenchmarkReport['machine'] {
  const onnxruntime = (
    JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string }
  ).version;
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    onnxruntime,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function runOne(name: string, script: string, quick: boolean, dir: string): BenchmarkOutcome {
  if (!existsSync(join(ROOT, script))) {
    return { benchmark: name, figures: [], skipped: `${script} does not exist yet` };
  }
  const jsonPath = join(dir, `${name}.json`);
  rmSync(jsonPath, { force: true });
  const args = ['--import', 'tsx', script, '--json', jsonPath, ...(quick ? ['--quick'] : [])];
  console.log(`\n=== bench:${name}: node ${args.join(' ')}`);
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const written = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchResult) : undefined;
  const outcome: BenchmarkOutcome = { benchmark: name, figures: written?.figures ?? [], seconds };
  if (child.status !== 0) outcome.failed = `exited with ${child.status ?? child.signal}`;
  else if (!written) outcome.failed = `wrote no ${jsonPath}`;
  return outcome;
}

/** Written in the repository's prettier style, so `npm run format:check` passes on generated files too. */
async function writeFormatted(path: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(text, { ...options, filepath: path }));
}

async function main(): Promise<number> {
  const quick = process.argv.includes('--quick');
  const only = argValue('only')?.split(',');
  const outDir = join(ROOT, 'docs');
  const workDir = join(ROOT, 'tmp', 'bench-report');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const date = new Date().toISOString();
  const loadAtStart = os.loadavg()[0];
  // bench:cli-start measures the production build, and bin/vectorizer.js falls back to the sources
  // (through tsx, ~1 s) when dist/ is older than them: build first, so the report measures this code.
  const build = spawnSync(process.execPath, [join(ROOT, 'tools', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0)
    throw new Error(`npm run build failed (exit ${build.status}); the report would measure stale code`);
  const benchmarks = BENCHMARKS.filter((b) => !only || only.includes(b.name)).map((b) =>
    runOne(b.name, b.script, quick, workDir),
  );
  const report: BenchmarkReport = {
    generatedBy: `npm run bench${quick ? ' -- --quick' : ''}`,
    date,
    mode: quick ? 'quick' : 'full',
    machine: { ...machine(), loadAverage: { start: loadAtStart, end: os.loadavg()[0] } },
    benchmarks,
  };
  await writeFormatted(join(outDir, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFormatted(join(outDir, 'benchmarks.md'), renderBenchmarksMarkdown(report));
  console.log(`\nwrote docs/benchmarks.md and docs/benchmarks.json (${report.mode})`);
  return benchmarks.some((b) => b.failed) ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
