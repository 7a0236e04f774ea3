import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { VectorizerError } from '@vectorizer/errors';
import { createLogger } from '@vectorizer/logger';
import { configKeys } from './index';
import { ConfigError, loadConfig } from './load-config';

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

  describe('never echoes a password', () => {
    // Each is rejected by the schema (new URL fails, or the scheme is wrong) and carries a password.
    it.each([
      ['DATABASE_URL', 'postgres://vectorizer:S3cr3t-pw@db.internal:notaport/catalog'],
      ['DATABASE_URL', 'postgres://vectorizer:p#ss/w@rd@db.internal:5432/catalog'],
      ['DATABASE_URL', 'mysql://vectorizer:S3cr3t-pw@db.internal/catalog'],
      ['REDIS_URL', 'redis://:S3cr3t-pw@redis.internal:port/0'],
      ['REDIS_URL', 'http://default:S3cr3t-pw@redis.internal:6379'],
    ])('a malformed %s: not in the error, not in the logged line', (variable, value) => {
      const password = /:\/\/[^:]*:(.*)@[^@]*$/.exec(value)?.[1] as string;
      let error: unknown;
      try {
        loadConfig({ [variable]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const configError = error as ConfigError;
      expect(configError.message).toContain(`${variable}:`);
      expect(configError.message).toContain(':***@');
      expect(configError.message).not.toContain(password);
      expect(JSON.stringify(configError.problems)).not.toContain(password);

      const stream = new PassThrough();
      const chunks: string[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
      const logger = createLogger({ destination: stream, format: 'json' });
      // As the worker logs a start-up failure: the message, the err field (with a cause that still
      // holds the raw value) and the fix.
      logger.fatal(
        { err: new VectorizerError('CONFIG_INVALID', configError.message, { cause: new Error(value) }) },
        `worker cannot start: ${configError.message}`,
      );
      const line = chunks.join('');
      expect(line).toContain(variable);
      expect(line).not.toContain(password);
    });
  });

  it('documents every variable in .env.example', () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(configKeys.filter((key) => !documented.has(key))).toEqual([]);
  });
});
