export { WorkerSupervisor, type IntakeHandle, type SupervisorOptions } from './supervisor';
export { waitUntilDrained } from './drain-watcher';
export { checkWorkerHealth, type HealthResult } from './health-check';
export { modelFootprint } from './model-footprint';
export { announceWorkerReady, defaultWorkerEntry, nodeArgsFor, processEntry, repoRoot } from './worker-entry';
