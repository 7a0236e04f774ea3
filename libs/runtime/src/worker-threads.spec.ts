import sharp from 'sharp';
import { loadConfig } from '@vectorizer/config';
import { createLogger } from '@vectorizer/logger';
import { Runtime } from './runtime';
import { applyWorkerThreadPlan } from './worker-threads';

describe('applyWorkerThreadPlan', () => {
  afterEach(() => {
    sharp.cache(true);
    sharp.concurrency(0);
  });

  it('gives libvips one thread per image and turns its operation cache off (each image is decoded once)', () => {
    sharp.cache(true);
    expect(sharp.cache().items.max).toBeGreaterThan(0);
    const plan = applyWorkerThreadPlan(
      new Runtime(loadConfig({ VECTORIZER_DEVICE: 'cpu', WORKER_CORES: '2' }), createLogger({ level: 'silent' })),
    );
    expect(plan.sharpConcurrency).toBe(1);
    expect(sharp.concurrency()).toBe(1);
    expect(sharp.cache()).toMatchObject({ memory: { max: 0 }, files: { max: 0 }, items: { max: 0 } });
  });
});
