#!/usr/bin/env node
// The production build: one CommonJS bundle per process entry (CLI, worker, API, inference thread)
// in dist/, with the @vectorizer/* aliases resolved (esbuild reads tsconfig.base.json's paths) and
// every npm package left external, so native modules (sharp, onnxruntime-node, msgpackr…) load from
// node_modules as they do from sources. `node tools/build.mjs [--outdir DIR]`; `npm run build`.
// `npm ci` runs it through `prepare` with --if-esbuild: a production install (--omit=dev) has no
// esbuild, and skips the build instead of failing.
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Output file (without .js) → source entry. The names are what the spawn sites look for (libs/…/bundle-entry). */
export const ENTRIES = {
  cli: 'apps/cli/src/main.ts',
  worker: 'apps/worker/src/main.ts',
  api: 'apps/api/src/main.ts',
  'inference-thread': 'libs/embedder/src/inference/inference-thread.ts',
};

const { values } = parseArgs({
  options: { outdir: { type: 'string', default: join(root, 'dist') }, 'if-esbuild': { type: 'boolean' } },
});
const outdir = resolve(values.outdir);

let build;
try {
  ({ build } = await import('esbuild'));
} catch (error) {
  if (!values['if-esbuild'] || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  console.log('esbuild is not installed (a production install): skipping the build; bin/ runs dist/ or the sources');
  process.exit(0);
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, join(root, source)])),
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig: join(root, 'tsconfig.base.json'),
  packages: 'external',
  sourcemap: 'linked',
  // Stack traces point at the TypeScript sources (node --enable-source-maps, or NODE_OPTIONS).
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
});
// The API serves its search page from next to its own file (apps/api/src/app.ts: __dirname/public).
await cp(join(root, 'apps/api/src/public'), join(outdir, 'public'), {
  recursive: true,
  filter: (source) => !source.endsWith('.spec.ts'),
});
// Marks the folder as CommonJS whatever a parent package.json says.
await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`);
// What bin/vectorizer.js checks before running the build: every source file that went into it,
// (relative to the repository root) and when the build started. Written last: its presence means
// the build is complete.
const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
await writeFile(join(outdir, 'build-info.json'), `${JSON.stringify({ builtAt: started, inputs }, null, 2)}\n`);
console.log(`built ${Object.keys(ENTRIES).join(', ')} into ${outdir} in ${Date.now() - started} ms`);
