import { assertDevModelAllowed } from './dev-model-policy';

const dev = { isDevModel: true, id: 'vectorizer/dev-siglip-tiny' };
const real = { isDevModel: false, id: 'google/siglip-base-patch16-224' };

describe('assertDevModelAllowed', () => {
  it('refuses the dev model in production with the code and the fix', () => {
    expect(() => assertDevModelAllowed({ NODE_ENV: 'production', ALLOW_DEV_MODEL: false }, dev)).toThrow(
      expect.objectContaining({
        code: 'DEV_MODEL_IN_PRODUCTION',
        hint: expect.stringContaining('ALLOW_DEV_MODEL=true'),
      }),
    );
  });

  it.each([
    ['production with ALLOW_DEV_MODEL=true', { NODE_ENV: 'production', ALLOW_DEV_MODEL: true }, dev],
    ['development', { NODE_ENV: 'development', ALLOW_DEV_MODEL: false }, dev],
    ['a real model in production', { NODE_ENV: 'production', ALLOW_DEV_MODEL: false }, real],
  ] as const)('allows %s', (_name, config, model) => {
    expect(() => assertDevModelAllowed(config, model)).not.toThrow();
  });
});
