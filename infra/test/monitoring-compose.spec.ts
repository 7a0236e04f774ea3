import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

const repoRoot = resolve(__dirname, '../..');

interface Service {
  image?: string;
  profiles?: string[];
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
/** Bind mounts as [host path in the repository, container path]. */
const binds = (svc: Service): [string, string][] =>
  (svc.volumes ?? [])
    .filter((volume) => volume.startsWith('./'))
    .map((volume) => {
      const [host, container] = volume.split(':');
      return [join(repoRoot, host as string), container as string];
    });

describe('the monitoring compose profile', () => {
  it('runs a pinned Prometheus and Grafana only under the monitoring profile, mounting files that exist', () => {
    for (const name of ['prometheus', 'grafana']) {
      const svc = service(name);
      expect(svc.profiles).toEqual(['monitoring']);
      expect(svc.image).toMatch(/:v?\d+\.\d+\.\d+$/);
      for (const [host] of binds(svc)) expect({ name, host, exists: existsSync(host) }).toMatchObject({ exists: true });
    }
  });

  it("gives Prometheus a config promtool accepts, scraping the API's port, with the rules it mounts", () => {
    const prometheus = service('prometheus');
    const [configHost] =
      binds(prometheus).find(([, container]) => container === '/etc/prometheus/prometheus.yml') ?? [];
    const [rulesHost, rulesContainer] = binds(prometheus).find(([host]) => host.endsWith('infra/prometheus')) ?? [];
    expect(configHost && rulesHost && rulesContainer).toBeTruthy();
    const config = parse(readFileSync(configHost as string, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    expect(config.scrape_configs[0]?.static_configs[0]?.targets).toEqual([
      `api:${service('api').environment?.['PORT']}`,
    ]);
    expect(config.rule_files.every((file) => file.startsWith(`${rulesContainer}/`))).toBe(true);
    // promtool checks the config with the rule files where the container would find them.
    const scratch = mkdtempSync(join(tmpdir(), 'vectorizer-prometheus-'));
    try {
      const local = {
        ...config,
        rule_files: config.rule_files.map((file) => file.replace(rulesContainer as string, rulesHost as string)),
      };
      const file = join(scratch, 'prometheus.yml');
      writeFileSync(file, JSON.stringify(local));
      const result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      if (result.error) throw new Error(`promtool missing: run bash infra/scripts/ensure-system-deps.sh`);
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS: 1 rule files found');
      expect(result.status).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('provisions Grafana with that Prometheus and the dashboard where it is mounted', () => {
    const grafana = service('grafana');
    const [provisioning] = binds(grafana).find(([, container]) => container === '/etc/grafana/provisioning') ?? [];
    const [, dashboardAt] = binds(grafana).find(([host]) => host.endsWith('infra/grafana/vectorizer.json')) ?? [];
    expect(provisioning && dashboardAt).toBeTruthy();
    const datasources = parse(readFileSync(join(provisioning as string, 'datasources/prometheus.yml'), 'utf8')) as {
      datasources: { type: string; url: string; isDefault: boolean }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true }),
    ]);
    const dashboards = parse(readFileSync(join(provisioning as string, 'dashboards/vectorizer.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(dashboards.providers[0]?.options.path).toBe(dirname(dashboardAt as string));
    expect(grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toBe(dashboardAt);
  });

  it('is accepted by the compose tool with the profile on', () => {
    const tool = ['docker-compose', 'version'];
    if (spawnSync(tool[0] as string, [tool[1] as string]).status !== 0) {
      console.warn('docker-compose not installed (apt-get install docker-compose): compose check skipped');
      return;
    }
    const scratch = mkdtempSync(join(tmpdir(), 'vectorizer-compose-monitoring-'));
    try {
      const emptyEnv = join(scratch, 'empty.env');
      writeFileSync(emptyEnv, '');
      const result = spawnSync(
        'docker-compose',
        ['-f', join(repoRoot, 'docker-compose.yml'), '--env-file', emptyEnv, '--profile', 'monitoring', 'config'],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', POSTGRES_PASSWORD: 'pw', DASHBOARD_PASSWORD: 'pw' },
        },
      );
      expect(result.status).toBe(0);
      const resolved = parse(result.stdout) as { services: Record<string, unknown> };
      expect(Object.keys(resolved.services)).toEqual(expect.arrayContaining(['prometheus', 'grafana', 'api']));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
