import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverGpus, GpuDiscoveryError, parseNvidiaSmiCsv } from './discover-gpus';

describe('discoverGpus', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-nvidia-smi-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function fakeSmi(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it('parses two GPUs and passes the query nvidia-smi expects', async () => {
    const smi = await fakeSmi(
      'two',
      `[ "$1" = "--query-gpu=index,uuid,name,memory.total,memory.free" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 9
echo "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 81559, 80000"
echo "1, GPU-bbbb, NVIDIA L4, 23034, 22000"`,
    );
    expect(await discoverGpus({ nvidiaSmiPath: smi })).toEqual([
      { index: 0, uuid: 'GPU-aaaa', name: 'NVIDIA H100 80GB HBM3', memoryTotalMb: 81559, memoryFreeMb: 80000 },
      { index: 1, uuid: 'GPU-bbbb', name: 'NVIDIA L4', memoryTotalMb: 23034, memoryFreeMb: 22000 },
    ]);
    expect((await discoverGpus({ nvidiaSmiPath: smi, cudaVisibleDevices: 'GPU-bbbb' })).map((g) => g.index)).toEqual([
      1,
    ]);
    expect(await discoverGpus({ nvidiaSmiPath: smi, cudaVisibleDevices: '-1' })).toEqual([]);
  });

  it('returns no GPUs when nvidia-smi is not installed', async () => {
    expect(await discoverGpus({ nvidiaSmiPath: join(dir, 'does-not-exist') })).toEqual([]);
  });

  it('raises GPU_DISCOVERY_FAILED with the driver message when nvidia-smi fails', async () => {
    const smi = await fakeSmi(
      'broken',
      'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." ; exit 9',
    );
    const error = await discoverGpus({ nvidiaSmiPath: smi }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuDiscoveryError);
    expect(error).toMatchObject({ code: 'GPU_DISCOVERY_FAILED' });
    expect((error as Error).message).toContain("couldn't communicate with the NVIDIA driver");
  });
});

describe('parseNvidiaSmiCsv', () => {
  it('rejects lines it cannot read', () => {
    expect(() => parseNvidiaSmiCsv('0, GPU-a, X, [N/A], [N/A]\n')).toThrow(GpuDiscoveryError);
  });
});
