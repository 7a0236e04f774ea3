import { isLocalDevelopment } from './local-development';

describe('isLocalDevelopment', () => {
  it('is true outside production with Redis on a loopback address', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://localhost', 'redis://[::1]:6380', 'redis://127.0.0.2'])
      expect(isLocalDevelopment({ NODE_ENV: 'development', REDIS_URL: url })).toBe(true);
    expect(isLocalDevelopment({ NODE_ENV: 'test', REDIS_URL: 'redis://127.0.0.1' })).toBe(true);
  });

  it('is false in production, or with Redis on another host', () => {
    expect(isLocalDevelopment({ NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' })).toBe(false);
    expect(isLocalDevelopment({ NODE_ENV: 'development', REDIS_URL: 'redis://redis:6379' })).toBe(false);
    expect(isLocalDevelopment({ NODE_ENV: 'development', REDIS_URL: 'rediss://cache.example.com' })).toBe(false);
  });
});
