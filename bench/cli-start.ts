/**
 * CLI start-up time, quiet: `npm run bench:cli-start [-- --runs 10] [--json FILE]` (run it under
 * `flock /tmp/bench.lock`). Medians of wall time for `node bin/vectorizer.js --help`,
 * `… status --help` and the same through `npx`, each beside the floor measured in the same run:
 * `node -e 0`, Node starting and doing nothing. `npx -c true` (npx starting and running nothing) is
 * printed too: npx's own start-up exceeds 0.3 s on this machine before any of our code runs. Needs the build (`npm run build`; `npm ci` makes it):
 * without a fresh dist/ the CLI runs its sources through tsx and the figures say so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(__dirname, '..');
const { values } = parseArgs({
  options: { runs: { type: 'string' }, json: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const runs = Number(values.runs ?? (values.quick ? '5' : '10'));

/** Median wall time of `command`, in ms, after one unmeasured warm-up run (disk cache). */
function median(command: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    if (i > 0) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
}

const bin = join(root, 'bin', 'vectorizer.js');
const floor = median(process.execPath, ['-e', '0']);
const cases: [string, string, string[]][] = [
  ['node bin/vectorizer.js --help', process.execPath, [bin, '--help']],
  ['node bin/vectorizer.js status --help', process.execPath, [bin, 'status', '--help']],
  ['npx vectorizer --help', 'npx', ['--offline', 'vectorizer', '--help']],
  ['npx vectorizer status --help', 'npx', ['--offline', 'vectorizer', 'status', '--help']],
];
const figures = cases.map(([name, command, args]) => {
  const value = median(command, args);
  return {
    name,
    value: Math.round(value),
    unit: 'ms',
    ceiling: Math.round(floor),
    ceilingName: 'node -e 0',
    ratio: Number((value / floor).toFixed(2)),
  };
});

const npxAlone = median('npx', ['--offline', '-c', 'true']);
figures.push({
  name: 'npx -c true (npx alone, no CLI)',
  value: Math.round(npxAlone),
  unit: 'ms',
  ceiling: Math.round(floor),
  ceilingName: 'node -e 0',
  ratio: Number((npxAlone / floor).toFixed(2)),
});

const built = existsSync(join(root, 'dist', 'cli.js'));
console.log(
  `CLI start, median of ${runs} runs${built ? '' : ' (no dist/: sources through tsx)'}; node -e 0: ${Math.round(floor)} ms`,
);
for (const figure of figures)
  console.log(`${figure.name.padEnd(38)} ${String(figure.value).padStart(6)} ms  ${figure.ratio}× node -e 0`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ benchmark: 'cli-start', figures }, null, 2)}\n`);
