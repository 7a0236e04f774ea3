export { WorkerSupervisor, type SupervisorOptions } from './supervisor';
export { waitUntilDrained } from './drain-watcher';
export { checkWorkerHealth } from './health-check';
export { modelFootprint } from './model-footprint';
export { defaultWorkerEntry, nodeArgsFor, processEntry, repoRoot } from './worker-entry';
