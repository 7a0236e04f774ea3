import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { nodeArgsFor, processEntry } from '@vectorizer/supervisor';

/**
 * Starts the API process (apps/api, which the CLI runs rather than imports): its bundle when this
 * runs from the build, else its TypeScript sources.
 */
export function spawnApiProcess(options: Pick<SpawnOptions, 'stdio' | 'env'>): ChildProcess {
  return spawn(process.execPath, nodeArgsFor(processEntry('api')), options);
}
