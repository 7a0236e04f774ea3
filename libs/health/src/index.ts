export { type CheckResult, type CheckStatus, worstStatus } from './check-result';
export { readLiveWorkers } from './worker-checks';
export {
  checkReadiness,
  type HealthReport,
  type LiveWorker,
  type ReadinessDependencies,
  type ReadinessReport,
  type WorkersReport,
} from './readiness';
export { runDoctor, type DoctorDependencies } from './doctor';
export {
  explainProduct,
  type ExplainDependencies,
  type ProductExplanation,
  type ProductVerdict,
} from './explain-product';
