export { type CheckResult, type CheckStatus, worstStatus } from './check-result';
export { runCheck } from './run-check';
export { checkRedisReachable, checkRedisPersistence, checkRedisEvictionPolicy } from './redis-checks';
export { checkPostgresReachable, checkPgvector, judgePgvector, checkSchema, judgeSchema } from './postgres-checks';
export { checkWorkers, judgeWorkers, readLiveWorkers } from './worker-checks';
export { checkQueueJobs, checkDeadLetters, checkEmbeddingCoverage } from './queue-checks';
export { checkModel, checkSearchModel, type ModelCheckOutcome } from './model-checks';
export { checkExecutionProvider, type ExecutionProviderCheckOptions } from './device-checks';
export {
  checkReadiness,
  toReport,
  type HealthReport,
  type LiveWorker,
  type ReadinessDependencies,
  type ReadinessReport,
  type WorkersReport,
} from './readiness';
export { runDoctor, type DoctorDependencies } from './doctor';
