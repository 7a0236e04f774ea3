import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const PROMETHEUS_DIR = join(__dirname, '../prometheus');

/** promtool from Debian's `prometheus` package (infra/scripts/ensure-system-deps.sh installs it). */
function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8', timeout: 60_000 });
  if (result.error) {
    throw new Error(`promtool could not run (${result.error.message}): run bash infra/scripts/ensure-system-deps.sh`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('Prometheus alerting rules (promtool)', () => {
  const rules = readdirSync(PROMETHEUS_DIR).filter((file) => file.endsWith('.rules.yml'));
  const tests = readdirSync(PROMETHEUS_DIR).filter((file) => file.endsWith('.test.yml'));

  it('has rule files and unit tests for them', () => {
    expect(rules.length).toBeGreaterThan(0);
    expect(tests.length).toBeGreaterThan(0);
  });

  it('passes promtool check rules', () => {
    const result = promtool(['check', 'rules', ...rules]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('passes its promtool unit tests', () => {
    const result = promtool(['test', 'rules', ...tests]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});
