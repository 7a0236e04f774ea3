import { type Config, loadConfig } from '@vectorizer/config';
import { VectorizerError, describeError, meaningOf } from '@vectorizer/errors';
import { createLogger, exitWithFatal, type Logger } from '@vectorizer/logger';
import { Runtime } from '@vectorizer/runtime';
import type { Tracing } from '@vectorizer/telemetry';

/**
 * OTEL_SERVICE_NAME's default per long-running command; every other command is vectorizer-cli (`serve`
 * too: the API process it starts traces as vectorizer-api).
 */
const SERVICE_NAMES: Record<string, string> = {
  supervisor: 'vectorizer-supervisor',
  watch: 'vectorizer-watch',
};

export interface CommandContext {
  config: Config;
  logger: Logger;
  /** The composition root: the model, the embedder, the queue and the database, wired from config. */
  runtime: Runtime;
}

export interface RunCommandOptions {
  /**
   * Once the action has finished, exit within this time even if a handle (a socket to a server that
   * never answers) still holds the process; without it the process ends when its event loop is empty.
   */
  exitAfterMs?: number;
}

/**
 * Loads config and a logger for one command and runs it. Logs go to stderr so stdout stays
 * machine-readable. A failure the project names (a VectorizerError: unknown product, bad catalog,
 * service down) is one line with its cause and fix, and exits with the registry's code for it (78:
 * a permanent failure no retry fixes, 1 otherwise); its stack only with LOG_LEVEL=debug. Anything
 * else is a bug and is logged whole.
 */
export async function runCommand(
  component: string,
  action: (ctx: CommandContext) => Promise<number | void>,
  options: RunCommandOptions = {},
): Promise<void> {
  let logger = createLogger({ destination: process.stderr, base: { component } });
  let debug = false;
  let pretty = process.stderr.isTTY === true;
  let tracing: Tracing | undefined;
  try {
    const config = loadConfig();
    debug = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
    pretty = config.LOG_FORMAT === 'pretty' || (config.LOG_FORMAT === 'auto' && process.stderr.isTTY === true);
    logger = createLogger({
      destination: process.stderr,
      level: config.LOG_LEVEL,
      format: config.LOG_FORMAT,
      // On a terminal every field is a line of its own; the person who typed the command knows which it was.
      base: pretty ? {} : { component },
    });
    const runtime = new Runtime(config, logger);
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; products this command enqueues link to its span.
    tracing = runtime.startTracing(SERVICE_NAMES[component] ?? 'vectorizer-cli');
    const code = await runtime.inSpan(`vectorizer ${component}`, () => action({ config, logger, runtime }));
    await tracing?.shutdown();
    process.exitCode = code ?? 0;
    if (options.exitAfterMs !== undefined) setTimeout(() => process.exit(), options.exitAfterMs).unref();
  } catch (error) {
    await tracing?.shutdown().catch(() => undefined);
    const exitCode = meaningOf(error instanceof VectorizerError ? error.code : undefined).exit;
    if (debug || !(error instanceof VectorizerError)) exitWithFatal(logger, error, `${component} failed`, exitCode);
    reportFailure(logger, error, component, pretty, exitCode);
  }
}

/** One line: `vectorizer search: <what went wrong> — fix: <what to do>` (JSON: the same, plus the code). */
function reportFailure(
  logger: Logger,
  error: VectorizerError,
  component: string,
  pretty: boolean,
  exitCode: number,
): never {
  const { message, hint, cause } = describeError(error);
  const line = `${message}${cause && !message.includes(cause) ? ` (${cause})` : ''}${hint ? ` — fix: ${hint}` : ''}`;
  if (pretty) process.stderr.write(`vectorizer ${component}: ${line} [${error.code}]\n`);
  else logger.fatal({ code: error.code, hint }, `${component} failed: ${line}`);
  process.exit(exitCode);
}
