export { loadConfig } from './load-config';
export { configKeys, type Config } from './schema';
export { isLocalDevelopment } from './local-development';
