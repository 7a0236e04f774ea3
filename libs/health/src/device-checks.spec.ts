import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExecutionProvider } from './device-checks';

type Gpu = 'present' | 'missing';
type Library = 'present' | 'absent' | 'default';

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

  function check(device: string, allowCpuFallback: boolean, gpu: Gpu, library: Library) {
    return checkExecutionProvider({
      device,
      allowCpuFallback,
      nvidiaSmiPath: gpu === 'present' ? nvidiaSmi : missing,
      cudaLibrary: { present: cudaLibrary, absent: join(dir, 'absent.so'), default: undefined }[library],
    });
  }

  interface Case {
    name: string;
    device: string;
    allowCpuFallback: boolean;
    gpu: Gpu;
    library: Library;
    status: string;
    detail?: string;
    fix?: string;
  }

  it.each<Case>([
    {
      name: 'fails a CUDA request without the CUDA provider library, with the reinstall command',
      device: 'cuda:0',
      allowCpuFallback: false,
      gpu: 'present',
      library: 'absent',
      status: 'fail',
      detail: 'absent.so missing',
      fix: 'ONNXRUNTIME_NODE_INSTALL=cuda12',
    },
    {
      name: 'fails a CUDA request when no GPU is visible',
      device: 'cuda',
      allowCpuFallback: false,
      gpu: 'missing',
      library: 'present',
      status: 'fail',
      detail: 'no GPU visible',
    },
    {
      name: 'only warns when no GPU is visible and CPU fallback is allowed',
      device: 'cuda',
      allowCpuFallback: true,
      gpu: 'missing',
      library: 'present',
      status: 'warn',
    },
    {
      name: 'is ok with the library and a GPU, naming the GPU',
      device: 'cuda:0',
      allowCpuFallback: false,
      gpu: 'present',
      library: 'present',
      status: 'ok',
      detail: 'GPU 0: NVIDIA H100',
    },
    {
      name: 'warns when auto would run on CPU although a GPU is present',
      device: 'auto',
      allowCpuFallback: false,
      gpu: 'present',
      library: 'absent',
      status: 'warn',
      detail: 'auto → CPU although GPUs are present',
    },
    {
      name: 'is ok on CPU when that is what was asked for',
      device: 'cpu',
      allowCpuFallback: false,
      gpu: 'missing',
      library: 'default',
      status: 'ok',
    },
    {
      name: 'is ok when auto runs on CPU and there is no GPU',
      device: 'auto',
      allowCpuFallback: false,
      gpu: 'missing',
      library: 'absent',
      status: 'ok',
    },
  ])('$name', ({ device, allowCpuFallback, gpu, library, status, detail, fix }) => {
    const result = check(device, allowCpuFallback, gpu, library);
    expect(result.status).toBe(status);
    if (detail !== undefined) expect(result.detail).toContain(detail);
    if (fix !== undefined) expect(result.fix).toContain(fix);
  });
});
