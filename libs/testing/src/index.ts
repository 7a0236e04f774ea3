export * from './redis';
export * from './postgres';
export * from './tcp-proxy';
export * from './worker-heartbeat';
export * from './dev-model-dir';
export * from './eventually';
export * from './serve-process';
export * from './vectors';
