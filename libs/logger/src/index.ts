export { createLogger, type Logger, type LoggerOptions } from './logger';
export { exitWithFatal } from './fatal';
export { redactCredentials, redactUrl } from './redact';
