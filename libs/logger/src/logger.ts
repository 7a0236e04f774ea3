import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { redactCredentials } from './redact';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** auto: pretty on a TTY, JSON otherwise (production log shippers want one JSON object per line). */
  format?: 'auto' | 'json' | 'pretty';
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
  /** Fields on every line, e.g. { component: 'worker', device: 'cuda:0' }. */
  base?: Record<string, unknown>;
}

/**
 * Writes synchronously: the incident this project exists to prevent was a process that exited
 * with nothing in its log, so a fatal line must be on disk before `process.exit` runs.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = 'info', format = 'auto', base = {} } = options;
  const destination = options.destination ?? process.stdout;
  const usePretty = format === 'pretty' || (format === 'auto' && (destination as NodeJS.WriteStream).isTTY === true);
  const stream = usePretty
    ? pretty({
        destination,
        sync: true,
        colorize: (destination as NodeJS.WriteStream).isTTY === true,
        ignore: 'pid,hostname',
      })
    : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level,
      base: { pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
    },
    redacting(stream),
  );
}

/** Redis commands whose arguments carry a password (a Redis ReplyError keeps the failed command). */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate']);

/** pino's error serializer (with causes), minus the arguments of a failed AUTH/HELLO in any cause. */
function serializeError(error: Error): unknown {
  const serialized = pino.stdSerializers.errWithCause(error) as unknown;
  for (let node = serialized as Record<string, unknown> | undefined; node;) {
    const command = node['command'] as { name?: unknown; args?: unknown } | undefined;
    if (command && typeof command.name === 'string' && SECRET_COMMANDS.has(command.name.toLowerCase()))
      node['command'] = { ...command, args: '***' };
    const cause = node['cause'];
    node = cause !== null && typeof cause === 'object' ? (cause as Record<string, unknown>) : undefined;
  }
  return serialized;
}

/**
 * Masks credentials in every serialized line before it reaches the destination (or the pretty
 * printer): messages, `err` with its stack and causes, and any other field, whoever built them.
 */
function redacting(destination: NodeJS.WritableStream | pino.DestinationStream): pino.DestinationStream {
  const target = destination as pino.DestinationStream & { flushSync?: () => void };
  return {
    write: (line: string) => target.write(redactCredentials(line)),
    ...(target.flushSync ? { flushSync: () => target.flushSync?.() } : {}),
  } as pino.DestinationStream;
}
