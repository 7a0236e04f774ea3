import { AggregatorRegistry } from 'prom-client';
import { createPipelineMetrics, createQueueMetrics, createRegistry } from './index';
import { METRIC_NAMES } from './metric-names';

describe('telemetry', () => {
  it('names every metric with the vectorizer_ prefix', () => {
    for (const name of Object.values(METRIC_NAMES)) expect(name).toMatch(/^vectorizer_[a-z_]+$/);
  });

  it('labels every series with the worker and exposes the pipeline metrics', async () => {
    const registry = createRegistry({ labels: { worker: 'w1' }, collectDefaults: true });
    const metrics = createPipelineMetrics(registry);
    metrics.jobsCompleted.inc(3);
    metrics.jobsDeadLettered.inc({ code: 'FETCH_HTTP_404' });
    metrics.batchSize.observe(8);
    const text = await registry.metrics();
    expect(text).toContain('vectorizer_jobs_completed_total{worker="w1"} 3');
    expect(text).toContain('vectorizer_jobs_dead_lettered_total{code="FETCH_HTTP_404",worker="w1"} 1');
    expect(text).toContain('vectorizer_batch_size_bucket{le="8",worker="w1"} 1');
    expect(text).toMatch(/vectorizer_process_cpu_seconds_total\{worker="w1"\}/);
  });

  it('keeps two workers apart when their JSON snapshots are aggregated', async () => {
    const snapshots = await Promise.all(
      ['w1', 'w2'].map(async (worker, i) => {
        const registry = createRegistry({ labels: { worker } });
        createPipelineMetrics(registry).embeddingsWritten.inc(i + 1);
        return registry.getMetricsAsJSON();
      }),
    );
    const api = createRegistry({ labels: { worker: 'api' } });
    createQueueMetrics(api).queueJobs.set({ queue: 'embed', state: 'waiting' }, 7);
    const merged = AggregatorRegistry.aggregate([...snapshots, await api.getMetricsAsJSON()]);
    const text = await merged.metrics();
    expect(text).toContain('vectorizer_embeddings_written_total{worker="w1"} 1');
    expect(text).toContain('vectorizer_embeddings_written_total{worker="w2"} 2');
    expect(text).toContain('vectorizer_queue_jobs{queue="embed",state="waiting",worker="api"} 7');
  });
});
