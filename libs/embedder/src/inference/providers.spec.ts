import { join } from 'node:path';
import { explainLoadFailure, isAllocationFailure } from './load-errors';
import { cudaProviderLibrary, parseDevice, planExecution } from './providers';

const absentLibrary = join(__dirname, 'no-such-dir', 'libonnxruntime_providers_cuda.so');
const presentLibrary = __filename;

describe('parseDevice', () => {
  it('reads auto, cpu, webgpu, cuda and cuda:N', () => {
    expect(parseDevice('auto')).toEqual({ kind: 'auto' });
    expect(parseDevice('cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevice('webgpu')).toEqual({ kind: 'webgpu' });
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(parseDevice('cuda:3')).toEqual({ kind: 'cuda', deviceId: 3 });
  });

  it('rejects anything else with DEVICE_INVALID', () => {
    expect(() => parseDevice('gpu')).toThrow(expect.objectContaining({ code: 'DEVICE_INVALID' }));
  });
});

describe('planExecution', () => {
  it('fails a CUDA request up front, naming the missing provider library and the install command', () => {
    let thrown: unknown;
    try {
      planExecution({ device: 'cuda:1', allowCpuFallback: false, cudaLibrary: absentLibrary });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'CUDA_PROVIDER_UNAVAILABLE' });
    expect((thrown as Error).message).toContain(absentLibrary);
    expect((thrown as { hint: string }).hint).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci');
    expect((thrown as { hint: string }).hint).toContain('cuDNN 9');
  });

  it('falls back to CPU with a warning only when allowed', () => {
    const plan = planExecution({ device: 'cuda', allowCpuFallback: true, cudaLibrary: absentLibrary });
    expect(plan.attempts.map((a) => a.label)).toEqual(['cpu']);
    expect(plan.warnings[0]).toContain('ALLOW_CPU_FALLBACK');
  });

  it('tries CUDA then CPU when the library exists and fallback is allowed', () => {
    const plan = planExecution({ device: 'cuda:2', allowCpuFallback: true, cudaLibrary: presentLibrary });
    expect(plan.attempts).toEqual([
      { label: 'cuda:2', provider: { name: 'cuda', deviceId: 2 } },
      { label: 'cpu', provider: { name: 'cpu' } },
    ]);
  });

  it('auto picks CUDA when installed and CPU otherwise, without warnings', () => {
    expect(
      planExecution({ device: 'auto', allowCpuFallback: false, cudaLibrary: presentLibrary }).attempts[0].label,
    ).toBe('cuda:0');
    expect(planExecution({ device: 'auto', allowCpuFallback: false, cudaLibrary: absentLibrary })).toEqual({
      attempts: [{ label: 'cpu', provider: { name: 'cpu' } }],
      warnings: [],
    });
  });

  it('looks for the CUDA library next to the installed onnxruntime binding', () => {
    expect(cudaProviderLibrary()).toMatch(/onnxruntime-node\/bin\/napi-v6\/.+\/libonnxruntime_providers_cuda\.so$/);
  });
});

describe('explainLoadFailure', () => {
  const model = {
    path: '/models/m/onnx/vision_model.onnx',
    source: { kind: 'hub' as const, modelId: 'org/m', dtype: 'fp32' as const },
  };

  it('names an unparsable file and the re-download command', () => {
    const error = explainLoadFailure(
      {
        error: { message: 'x' },
        failures: [
          { provider: 'cpu', error: { message: `Load model from ${model.path} failed:Protobuf parsing failed.` } },
        ],
      },
      model,
    );
    expect(error.code).toBe('MODEL_FILE_CORRUPT');
    expect(error.message).toContain(model.path);
    expect(error.hint).toContain('npx vectorizer model download org/m --dtype fp32');
  });

  it('recognises the CUDA provider failing to load (ORT 1.30 wording)', () => {
    const error = explainLoadFailure(
      {
        error: { message: 'x' },
        failures: [
          {
            provider: 'cuda:0',
            error: { message: 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library' },
          },
        ],
      },
      model,
    );
    expect(error.code).toBe('CUDA_PROVIDER_UNAVAILABLE');
    expect(error.hint).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it('names the .onnx_data file when external weights are missing', () => {
    const error = explainLoadFailure(
      {
        error: { message: 'x' },
        failures: [
          { provider: 'cpu', error: { message: 'Deserialize tensor failed. External data path does not exist' } },
        ],
      },
      model,
    );
    expect(error.code).toBe('MODEL_FILE_MISSING');
    expect(error.message).toContain('vision_model.onnx_data');
  });
});

describe('isAllocationFailure', () => {
  it.each([
    'Failed to allocate memory for requested buffer of size 123',
    'CUDA failure 2: out of memory',
    'std::bad_alloc',
    'CUBLAS_STATUS_ALLOC_FAILED',
  ])('treats "%s" as retryable with a smaller batch', (message) => expect(isAllocationFailure(message)).toBe(true));

  it('does not treat other failures as memory', () =>
    expect(isAllocationFailure('Invalid rank for input: pixel_values')).toBe(false));
});
