import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest ancestor of this file holding nx.json. */
export function repoRoot(from = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`could not find the repository root (nx.json) above ${from}`);
  }
}

/** The per-device worker process every supervisor child runs. */
export function defaultWorkerEntry(): string {
  return join(repoRoot(), 'apps', 'worker', 'src', 'main.ts');
}

/** Node arguments that run a TypeScript entry through tsx (which also resolves @vectorizer/* aliases). */
export function nodeArgsFor(entry: string): string[] {
  return ['--require', require.resolve('tsx/cjs'), entry];
}
