export { Runtime, devModelNotice, type QueueServices } from './runtime';
export { workerPlans } from './worker-plans';
export {
  checkWorkerServices,
  openWorkerProcess,
  startWorkerTracing,
  type WorkerProcessIdentity,
  type WorkerProcessServices,
  type WorkerStopOutcome,
} from './worker-process-services';
export {
  nothingToDrain,
  superviseWorkers,
  workerHealth,
  type WorkerSupervision,
  type WorkerSupervisionOptions,
} from './worker-supervision';
export { spawnApiProcess } from './api-process';
