import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configKeys, loadConfig } from './index';

describe('loadConfig', () => {
  it('applies local defaults', () => {
    const config = loadConfig({});
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(config.QUEUE_PREFIX).toBe('{vectorizer}');
    expect(config.ALLOW_CPU_FALLBACK).toBe(false);
    expect(config.MODEL_DIR).toBeUndefined();
  });

  it('parses numbers and booleans', () => {
    const config = loadConfig({ BATCH_SIZE: '16', ALLOW_CPU_FALLBACK: 'true', IMAGE_ALLOW_PRIVATE_NETWORKS: '1' });
    expect(config.BATCH_SIZE).toBe(16);
    expect(config.ALLOW_CPU_FALLBACK).toBe(true);
    expect(config.IMAGE_ALLOW_PRIVATE_NETWORKS).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ REDIS_URL: '', MODEL_DIR: '' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('keeps an empty CUDA_VISIBLE_DEVICES, which hides every GPU', () => {
    expect(loadConfig({ CUDA_VISIBLE_DEVICES: '' }).CUDA_VISIBLE_DEVICES).toBe('');
    expect(loadConfig({}).CUDA_VISIBLE_DEVICES).toBeUndefined();
  });

  it('lists every malformed variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        REDIS_URL: 'http://localhost:6379',
        DATABASE_URL: 'not a url',
        BATCH_SIZE: 'sixteen',
        VECTORIZER_DEVICE: 'tpu',
        MODEL_DTYPE: 'int4',
        ALLOW_CPU_FALLBACK: 'maybe',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('CONFIG_INVALID');
    expect(configError.problems.map((p) => p.variable).sort()).toEqual(
      ['ALLOW_CPU_FALLBACK', 'BATCH_SIZE', 'DATABASE_URL', 'MODEL_DTYPE', 'REDIS_URL', 'VECTORIZER_DEVICE'].sort(),
    );
    expect(configError.message).toContain('6 problem(s)');
    expect(configError.message).toMatch(
      /REDIS_URL: expected a URL starting with redis:\/\/ or rediss:\/\/ \(got "http:\/\/localhost:6379"\)/,
    );
    expect(configError.message).toMatch(/MODEL_DTYPE: expected one of fp32, fp16, q8/);
    expect(configError.message).toMatch(/BATCH_SIZE: expected a whole number/);
    expect(configError.message).toMatch(/ALLOW_CPU_FALLBACK: expected true or false/);
    expect(configError.hint).toContain('.env.example');
  });

  it('documents every variable in .env.example', () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(configKeys.filter((key) => !documented.has(key))).toEqual([]);
  });
});
