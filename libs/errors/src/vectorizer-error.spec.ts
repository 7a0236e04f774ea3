import { VectorizerError, describeError } from './index';

describe('describeError', () => {
  it('carries code, hint and the cause chain', () => {
    const root = Object.assign(new Error('libcudnn.so.9: cannot open shared object file'), {
      code: 'ERR_DLOPEN_FAILED',
    });
    const error = new VectorizerError('CUDA_PROVIDER_UNAVAILABLE', 'CUDA execution provider failed to load', {
      hint: 'install cuDNN 9',
      cause: root,
    });
    expect(describeError(error)).toEqual({
      type: 'VectorizerError',
      code: 'CUDA_PROVIDER_UNAVAILABLE',
      message: 'CUDA execution provider failed to load',
      hint: 'install cuDNN 9',
      cause: 'Error: libcudnn.so.9: cannot open shared object file',
    });
  });

  it('describes non-errors', () => {
    expect(describeError('boom')).toEqual({ type: 'string', message: 'boom' });
  });
});
