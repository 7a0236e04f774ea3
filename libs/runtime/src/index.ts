export { Runtime, devModelNotice, type QueueServices } from './runtime';
export { workerPlans } from './worker-plans';
