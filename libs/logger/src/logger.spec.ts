import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { createLogger, redactCredentials, redactUrl } from './index';

function capture(format: 'json' | 'pretty') {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return {
    logger: createLogger({ destination: stream, format, base: { component: 'test' } }),
    lines: () => chunks.join(''),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with child bindings', () => {
    const { logger, lines } = capture('json');
    logger.child({ device: 'cuda:0', jobId: 'j1', productId: 'p1' }).info('embedded');
    const entry = JSON.parse(lines().trim());
    expect(entry).toMatchObject({
      level: 'info',
      msg: 'embedded',
      component: 'test',
      device: 'cuda:0',
      jobId: 'j1',
      productId: 'p1',
    });
  });

  it('pretty-prints when asked', () => {
    const { logger, lines } = capture('pretty');
    logger.warn('careful');
    expect(lines()).toContain('careful');
    expect(() => JSON.parse(lines())).toThrow();
  });
});

describe('credential redaction', () => {
  it.each(['json', 'pretty'] as const)('masks URL passwords in the message, err, causes and fields (%s)', (format) => {
    const { logger, lines } = capture(format);
    const cause = new Error('connect failed for postgres://app:cause-secret@db:5432/x');
    const err = Object.assign(new Error('bad url redis://:err-secret@cache:xx', { cause }), {
      url: 'postgresql://app:prop-secret@db/x',
    });
    logger.error(
      { err, target: 'postgres://app:field-secret@db:notaport/x', nested: { dsn: 'host=db password=kv-secret' } },
      'cannot start with postgres://app:msg-secret@db:5432/x',
    );
    const text = lines();
    for (const secret of ['cause-secret', 'err-secret', 'prop-secret', 'field-secret', 'kv-secret', 'msg-secret'])
      expect(text).not.toContain(secret);
    expect(text).toContain('postgres://app:***@db:5432/x');
  });

  it('masks the arguments of a failed Redis AUTH kept on the error (ioredis ReplyError.command)', () => {
    const { logger, lines } = capture('json');
    const reply = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['default', 'auth-secret'] },
    });
    logger.fatal({ err: new Error('Redis refused the credentials', { cause: reply }) }, 'worker cannot start');
    expect(lines()).toContain('WRONGPASS');
    expect(lines()).not.toContain('auth-secret');
  });

  it.each([
    ['postgres://u:pw@h:5432/db', 'postgres://u:***@h:5432/db'],
    ['postgres://u:p#w/x@h:notaport/db', 'postgres://u:***@h:notaport/db'],
    ['redis://:pw@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/postgres'],
    ['postgres://h/db?sslmode=require&password=pw', 'postgres://h/db?sslmode=require&password=***'],
  ])('redactUrl(%s) is %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('masks every URL in a text', () => {
    expect(redactCredentials('from redis://:a@r1 to "redis://:b@r2"')).toBe(
      'from redis://:***@r1 to "redis://:***@r2"',
    );
  });
});

describe('exitWithFatal', () => {
  it('logs type, code, message, cause and hint before exiting non-zero', () => {
    const script = `
      require('tsx/cjs');
      const { createLogger, exitWithFatal } = require(${JSON.stringify(join(__dirname, 'index.ts'))});
      const { VectorizerError } = require(${JSON.stringify(join(__dirname, '..', '..', 'errors', 'src', 'index.ts'))});
      const cause = new Error('libonnxruntime_providers_cuda.so: cannot open shared object file');
      exitWithFatal(createLogger({ format: 'json' }), new VectorizerError('MODEL_LOAD_FAILED', 'SigLIP failed to load', { hint: 'reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12', cause }));
    `;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    const entry = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(entry).toMatchObject({
      level: 'fatal',
      errorType: 'VectorizerError',
      code: 'MODEL_LOAD_FAILED',
      hint: 'reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12',
      cause: 'Error: libonnxruntime_providers_cuda.so: cannot open shared object file',
    });
    expect(entry.msg).toContain('SigLIP failed to load');
  });
});
