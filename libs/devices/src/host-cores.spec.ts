import { cgroupQuotaCores, detectHostCores, type HostProbe } from './host-cores';

/** A fake host: `cpus` CPUs and these files. */
const host = (cpus: number, files: Record<string, string> = {}): HostProbe => ({
  availableParallelism: () => cpus,
  readFile: (path) => files[path],
});

describe('cgroupQuotaCores', () => {
  it.each<[string, Record<string, string>, number | undefined]>([
    ['v2 unlimited', { '/sys/fs/cgroup/cpu.max': 'max 100000\n' }, undefined],
    ['v2 quota of 8 cores', { '/sys/fs/cgroup/cpu.max': '800000 100000\n' }, 8],
    ['v2 fractional quota rounds up', { '/sys/fs/cgroup/cpu.max': '150000 100000' }, 2],
    ['v2 tiny quota is still one core', { '/sys/fs/cgroup/cpu.max': '10000 100000' }, 1],
    [
      'v1 quota',
      { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '400000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' },
      4,
    ],
    [
      'v1 under cpu,cpuacct',
      {
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '300000',
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
      },
      3,
    ],
    [
      'v1 unlimited (-1)',
      { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' },
      undefined,
    ],
    ['no cgroup files', {}, undefined],
    ['garbage', { '/sys/fs/cgroup/cpu.max': 'what' }, undefined],
  ])('%s', (_, files, expected) => {
    expect(cgroupQuotaCores(host(64, files))?.cores).toBe(expected);
  });
});

describe('detectHostCores', () => {
  it('takes the cgroup quota when it is below the CPUs', () => {
    expect(detectHostCores(host(64, { '/sys/fs/cgroup/cpu.max': '1600000 100000' }))).toEqual({
      cores: 16,
      source: 'cgroup-v2',
      availableParallelism: 64,
      quotaCores: 16,
    });
  });

  it('takes the CPUs when the quota is above them or absent', () => {
    expect(detectHostCores(host(8, { '/sys/fs/cgroup/cpu.max': '1600000 100000' }))).toMatchObject({
      cores: 8,
      source: 'cpus',
      quotaCores: 16,
    });
    expect(detectHostCores(host(64))).toMatchObject({ cores: 64, source: 'cpus' });
  });

  it('an assigned count (WORKER_CORES, --cores) replaces detection', () => {
    expect(detectHostCores(host(2, { '/sys/fs/cgroup/cpu.max': '100000 100000' }), 64)).toMatchObject({
      cores: 64,
      source: 'assigned',
    });
  });

  it('reads the real machine without failing', () => {
    expect(detectHostCores().cores).toBeGreaterThanOrEqual(1);
  });
});
