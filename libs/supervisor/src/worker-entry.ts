import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The repository (or image) root: the nearest ancestor of this file holding nx.json (a checkout) or
 * the vectorizer package.json (a production image, which carries no nx.json).
 */
export function repoRoot(from = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json')) || isVectorizerPackage(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`could not find the repository root (nx.json) above ${from}`);
  }
}

function isVectorizerPackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'vectorizer';
  } catch {
    return false;
  }
}

/**
 * True when this code runs from the production build (dist/*.js, tools/build.mjs) rather than from
 * the TypeScript sources (tsx, jest): every child process then runs the matching bundle.
 */
const RUNNING_FROM_BUILD = __filename.endsWith('.js');

/**
 * The entry of another vectorizer process: its bundle next to this one (dist/<name>.js) when running
 * from the build, else its TypeScript source (which nodeArgsFor runs through tsx).
 */
export function processEntry(name: 'worker' | 'api'): string {
  return RUNNING_FROM_BUILD ? join(__dirname, `${name}.js`) : join(repoRoot(), 'apps', name, 'src', 'main.ts');
}

/** The per-device worker process every supervisor child runs. */
export function defaultWorkerEntry(): string {
  return processEntry('worker');
}

/** Node arguments that run an entry: a TypeScript one through tsx (which also resolves @vectorizer/* aliases). */
export function nodeArgsFor(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs'), entry] : [entry];
}

/**
 * What a worker process tells its supervisor (over the IPC channel the supervisor opens) once its
 * model passed the self-test and its schema is in place, right before it takes jobs: from then on
 * it may hold jobs, and its model id is proven, so intake may enqueue for it.
 */
export interface WorkerReadyMessage {
  type: 'vectorizer:worker-ready';
  /** The registered model id the worker embeds with. */
  model: string;
}

export function isWorkerReadyMessage(message: unknown): message is WorkerReadyMessage {
  const candidate = message as Partial<WorkerReadyMessage> | null;
  return candidate?.type === 'vectorizer:worker-ready' && typeof candidate.model === 'string';
}

/** Called by the worker process; a no-op when it runs without a supervisor (no IPC channel). */
export function announceWorkerReady(model: string): void {
  const message: WorkerReadyMessage = { type: 'vectorizer:worker-ready', model };
  process.send?.(message);
}
