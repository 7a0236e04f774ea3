import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExecutionProvider } from './device-checks';

describe('checkExecutionProvider', () => {
  let dir: string;
  let cudaLibrary: string;
  let nvidiaSmi: string;
  const missing = '/nonexistent/nvidia-smi';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vectorizer-ep-'));
    cudaLibrary = join(dir, 'libonnxruntime_providers_cuda.so');
    await writeFile(cudaLibrary, '');
    // Stands in for the driver's tool on this GPU-less machine: prints what `nvidia-smi -L` prints.
    nvidiaSmi = join(dir, 'nvidia-smi');
    await writeFile(nvidiaSmi, '#!/bin/sh\necho "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)"\n');
    await chmod(nvidiaSmi, 0o755);
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('fails a CUDA request without the CUDA provider library, with the reinstall command', () => {
    const result = checkExecutionProvider({
      device: 'cuda:0',
      allowCpuFallback: false,
      nvidiaSmiPath: nvidiaSmi,
      cudaLibrary: join(dir, 'absent.so'),
    });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('absent.so missing');
    expect(result.fix).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it('fails a CUDA request when no GPU is visible, and only warns when CPU fallback is allowed', () => {
    const strict = checkExecutionProvider({
      device: 'cuda',
      allowCpuFallback: false,
      nvidiaSmiPath: missing,
      cudaLibrary,
    });
    expect(strict.status).toBe('fail');
    expect(strict.detail).toContain('no GPU visible');
    const lenient = checkExecutionProvider({
      device: 'cuda',
      allowCpuFallback: true,
      nvidiaSmiPath: missing,
      cudaLibrary,
    });
    expect(lenient.status).toBe('warn');
  });

  it('is ok with the library and a GPU, naming the GPU', () => {
    const result = checkExecutionProvider({
      device: 'cuda:0',
      allowCpuFallback: false,
      nvidiaSmiPath: nvidiaSmi,
      cudaLibrary,
    });
    expect(result.status).toBe('ok');
    expect(result.detail).toContain('GPU 0: NVIDIA H100');
  });

  it('warns when auto would run on CPU although a GPU is present', () => {
    const result = checkExecutionProvider({
      device: 'auto',
      allowCpuFallback: false,
      nvidiaSmiPath: nvidiaSmi,
      cudaLibrary: join(dir, 'absent.so'),
    });
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('auto → CPU although GPUs are present');
  });

  it('is ok on CPU when that is what was asked for', () => {
    expect(checkExecutionProvider({ device: 'cpu', allowCpuFallback: false, nvidiaSmiPath: missing }).status).toBe(
      'ok',
    );
    expect(
      checkExecutionProvider({
        device: 'auto',
        allowCpuFallback: false,
        nvidiaSmiPath: missing,
        cudaLibrary: join(dir, 'absent.so'),
      }).status,
    ).toBe('ok');
  });
});
