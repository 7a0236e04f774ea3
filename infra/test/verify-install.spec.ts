import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
const script = join(repoRoot, 'infra/docker/verify-install.mjs');

/** An app folder laid out as the image's /app: dist/ (the real bundles), node_modules/ (links into ours minus `omit`). */
function appWithout(omit: string[]): string {
  // Outside the repository: node must not find a package the app lacks in our node_modules.
  const app = mkdtempSync(join(tmpdir(), 'vectorizer-verify-install-'));
  mkdirSync(join(app, 'dist'));
  for (const file of readdirSync(join(repoRoot, 'dist')).filter((name) => name.endsWith('.js')))
    copyFileSync(join(repoRoot, 'dist', file), join(app, 'dist', file));
  copyFileSync(script, join(app, 'dist', 'verify-install.mjs'));
  writeFileSync(join(app, 'package.json'), '{"private":true}');
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    if (entry.startsWith('.') || omit.includes(entry)) continue;
    symlinkSync(join(repoRoot, 'node_modules', entry), join(modules, entry));
  }
  return app;
}

function verify(app: string) {
  return spawnSync(process.execPath, [join(app, 'dist', 'verify-install.mjs')], { encoding: 'utf8', timeout: 60_000 });
}

describe('infra/docker/verify-install.mjs (the runtime images run it as their last build step)', () => {
  const apps: string[] = [];
  afterAll(() => apps.forEach((app) => rmSync(app, { recursive: true, force: true })));

  it('passes on a complete install: packages, onnxruntime and sharp natives, the tokenizer library', () => {
    const app = appWithout([]);
    apps.push(app);
    const result = verify(app);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/verify-install: \d+ packages load; onnxruntime .*\(cpu.*\); sharp .* \/ libvips/);
  }, 60_000);

  it.each(['pino-pretty', 'onnxruntime-node', 'sharp'])(
    'fails the build when %s is missing from node_modules (a partial npm ci)',
    (missing) => {
      const app = appWithout([missing]);
      apps.push(app);
      const result = verify(app);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`${missing} (loaded by dist/) does not load`);
    },
    60_000,
  );

  it('fails when dist/ is missing, rather than checking nothing', () => {
    const app = appWithout([]);
    apps.push(app);
    for (const file of readdirSync(join(app, 'dist')).filter((name) => name.endsWith('.js')))
      rmSync(join(app, 'dist', file));
    const result = verify(app);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/only 0 packages named/);
  }, 60_000);
});
