#!/usr/bin/env node
// The production build: one CommonJS bundle per process entry (CLI, worker, API, inference thread)
// in dist/, with the @vectorizer/* aliases resolved (esbuild reads tsconfig.base.json's paths) and
// every npm package left external, so native modules (sharp, onnxruntime-node, msgpackr…) load from
// node_modules as they do from sources. `node tools/build.mjs [--outdir DIR]`; `npm run build`.
// `npm ci` runs it through `prepare` with --if-esbuild: a production install (--omit=dev) has no
// esbuild, and skips the build instead of failing.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
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

/*
 * The CLI bundle loads on demand what a command needs, so `vectorizer --help` and `<command> --help`
 * run commander alone, not bullmq, pg, sharp, onnxruntime, zod or onnx-proto (hundreds of ms), with
 * no change to how the sources are written:
 * - each @vectorizer/* library the CLI imports is a stand-in whose exports are getters; the first
 *   one read evaluates the library (esbuild wraps a module reached through require() in a lazy init);
 * - each npm package import is a Proxy that requires the package on first use: esbuild reads an
 *   external's exports through its namespace object at every use (`import_pg.default`).
 * The worker, API and inference thread start everything at once, as they do from sources, so a
 * missing native module still fails at start-up, not at the first job.
 */
const LAZY_PACKAGE_HELPER = `function __lazyPackage(load) {
  let loaded;
  const target = {};
  const real = () => (loaded ??= load());
  return new Proxy(target, {
    get: (_, key) => real()[key],
    has: (_, key) => key in real(),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor(_, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // A Proxy may only report a non-configurable property that its target has too.
      if (descriptor && !descriptor.configurable) Object.defineProperty(target, key, descriptor);
      return descriptor;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}`;
const PACKAGE_IMPORT = /(import_[\w$]+ = )((?:__toESM\()?require\("([^"]+)"\)(?:, 1)?\)?);/g;

function lazyPackages(code) {
  return code.replace(PACKAGE_IMPORT, (line, assign, load, specifier) =>
    isBuiltin(specifier) ? line : `${assign}__lazyPackage(() => ${load});`,
  );
}

const LIBRARY = /^@vectorizer\/[\w-]+$/;

/** Each library's export names (its index.ts bundled as ESM once, nothing written). */
async function libraryExports(build, tsconfig) {
  const { paths } = JSON.parse(await readFile(tsconfig, 'utf8')).compilerOptions;
  const libraries = Object.keys(paths).filter((name) => LIBRARY.test(name));
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(libraries.map((name) => [name.slice('@vectorizer/'.length), paths[name][0]])),
    outdir: 'exports-only',
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    tsconfig,
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  });
  const exportsOf = new Map();
  for (const output of Object.values(metafile.outputs)) {
    const name = libraries.find((library) => output.entryPoint === paths[library][0]);
    if (name) exportsOf.set(name, output.exports);
  }
  return exportsOf;
}

/** The stand-in for each library imported from apps/cli (see above); the library itself is `real:<name>`. */
function lazyLibrariesPlugin(exportsOf) {
  const cliSources = join(root, 'apps', 'cli') + sep;
  return {
    name: 'lazy-libraries',
    setup(plugin) {
      plugin.onResolve({ filter: LIBRARY }, (args) =>
        args.importer.startsWith(cliSources) && exportsOf.has(args.path)
          ? { path: args.path, namespace: 'lazy-library' }
          : undefined,
      );
      plugin.onResolve({ filter: /^real:/ }, (args) =>
        plugin.resolve(args.path.slice('real:'.length), { kind: 'require-call', resolveDir: root }),
      );
      plugin.onLoad({ filter: /.*/, namespace: 'lazy-library' }, (args) => ({
        loader: 'js',
        resolveDir: root,
        contents: [
          'let library;',
          `const load = () => (library ??= require(${JSON.stringify(`real:${args.path}`)}));`,
          'Object.defineProperty(exports, "__esModule", { value: true });',
          `for (const name of ${JSON.stringify(exportsOf.get(args.path))})`,
          '  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });',
        ].join('\n'),
      }));
    },
  };
}

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
const tsconfig = join(root, 'tsconfig.base.json');
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig,
  packages: 'external',
  sourcemap: 'linked',
  // Stack traces point at the TypeScript sources (node --enable-source-maps, or NODE_OPTIONS).
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
};
const entryPoints = (names) => Object.fromEntries(names.map((name) => [name, join(root, ENTRIES[name])]));
const [cli, processes] = await Promise.all([
  build({
    ...common,
    entryPoints: entryPoints(['cli']),
    plugins: [lazyLibrariesPlugin(await libraryExports(build, tsconfig))],
    banner: { js: LAZY_PACKAGE_HELPER },
  }),
  build({ ...common, entryPoints: entryPoints(Object.keys(ENTRIES).filter((name) => name !== 'cli')) }),
]);
const cliFile = join(outdir, 'cli.js');
await writeFile(cliFile, lazyPackages(await readFile(cliFile, 'utf8')));
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
const inputs = [...new Set([cli, processes].flatMap((result) => Object.keys(result.metafile.inputs)))].filter(
  (file) => !file.startsWith('node_modules/') && !file.includes(':'),
);
await writeFile(join(outdir, 'build-info.json'), `${JSON.stringify({ builtAt: started, inputs }, null, 2)}\n`);
console.log(`built ${Object.keys(ENTRIES).join(', ')} into ${outdir} in ${Date.now() - started} ms`);
