import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface ServeProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Everything the API wrote so far (JSON log lines). */
  output(): string;
  /** SIGTERM, then waits for the exit; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * `vectorizer serve` as an operator starts it: a child process on a free loopback port (PORT=0), its
 * environment built from scratch plus `env` (at LOG_LEVEL info). Resolves once it logs the URL it listens on.
 */
export async function startServe(env: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'bin/vectorizer.js'), 'serve'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      PORT: '0',
      DASHBOARD_TOKEN: 'test-token',
      VECTORIZER_DEVICE: 'cpu',
      INFERENCE_THREADS: '1',
      ...env,
      // The "listening" line is an info line.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not log its URL in time:\n${output}`)), timeoutMs);
      const look = (): void => {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', look);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited ${code} before listening:\n${output}`));
      });
    });
    return { url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
