export { loadConfig, ConfigError } from './load-config';
export { envSchema, configKeys, type Config } from './schema';
