/**
 * Every metric name the project exports, in one place: the worker writes them, the API merges the
 * workers' snapshots and serves them, dashboards and alerts match on them. Renaming one breaks those.
 */
export const METRIC_NAMES = {
  jobsCompleted: 'vectorizer_jobs_completed_total',
  jobsFailed: 'vectorizer_jobs_failed_total',
  jobsDeadLettered: 'vectorizer_jobs_dead_lettered_total',
  jobsPostponed: 'vectorizer_jobs_postponed_total',
  jobsSuperseded: 'vectorizer_jobs_superseded_total',
  batchSize: 'vectorizer_batch_size',
  inferenceDuration: 'vectorizer_inference_duration_seconds',
  imageFetchDuration: 'vectorizer_image_fetch_duration_seconds',
  imageFetchErrors: 'vectorizer_image_fetch_errors_total',
  imageDecodeDuration: 'vectorizer_image_decode_duration_seconds',
  embeddingsWritten: 'vectorizer_embeddings_written_total',
  writeDuration: 'vectorizer_embeddings_write_duration_seconds',
  embeddingsReused: 'vectorizer_embeddings_reused_total',
  workerPaused: 'vectorizer_worker_paused',
  queueJobs: 'vectorizer_queue_jobs',
  liveWorkers: 'vectorizer_live_workers',
  workerStarts: 'vectorizer_worker_starts_total',
  queueOldestWaiting: 'vectorizer_queue_oldest_waiting_seconds',
  pendingInPostgres: 'vectorizer_pending_in_postgres',
  deadLetters: 'vectorizer_dead_letters',
  metricsSourceUp: 'vectorizer_metrics_source_up',
  searchStrategy: 'vectorizer_search_strategy_total',
  modelInfo: 'vectorizer_model_info',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
