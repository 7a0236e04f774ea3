import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../..');
/** The generated tiny model the CLI tests share, under its name in these specs. */
export { DEV_TINY_MODEL_DIR as TINY_DEV_MODEL_DIR } from '@vectorizer/testing';

const CLI_ENTRY = join(REPO_ROOT, 'bin/vectorizer.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The child's whole environment: built from scratch so the runner's own DATABASE_URL, MODEL_DIR, …
 * never leak into a test. CPU with one inference thread keeps runs small on a shared machine.
 */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_FORMAT: 'json',
    VECTORIZER_DEVICE: 'cpu',
    INFERENCE_THREADS: '1',
    ...env,
  };
}

/** Runs `vectorizer <args>` as a child process and collects its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd: REPO_ROOT, env: cliEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** runCli, blocking: never while this test process itself serves the child (an HTTP fixture server). */
export function runCliSync(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
}
