import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Where the core count came from, for the plan's log line. */
export type CoresSource = 'cpus' | 'cgroup-v2' | 'cgroup-v1' | 'assigned';

export interface HostCores {
  /** Cores this process may keep busy: min(availableParallelism, the cgroup CPU quota). */
  cores: number;
  source: CoresSource;
  /** os.availableParallelism(): CPUs the scheduler lets this process run on (affinity mask). */
  availableParallelism: number;
  /** The cgroup CPU quota in cores (quota ÷ period), when one is set. */
  quotaCores?: number;
}

/** The two system reads, injectable so tests can fake a 64-core host with a quota. */
export interface HostProbe {
  availableParallelism(): number;
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): string | undefined;
}

export const systemProbe: HostProbe = {
  availableParallelism: () => os.availableParallelism(),
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

const CGROUP_V2_CPU_MAX = '/sys/fs/cgroup/cpu.max';
/** cgroup v1 mounts the cpu controller under either name, depending on the distribution. */
const CGROUP_V1_DIRS = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'];

/**
 * The cgroup CPU quota in cores, rounded up (a 1.5-core quota still runs two threads usefully part
 * of the time), or undefined when unlimited or not in a cgroup. v2: cpu.max is "max 100000" or
 * "<quota> <period>"; v1: cpu.cfs_quota_us (-1 = unlimited) over cpu.cfs_period_us.
 */
export function cgroupQuotaCores(probe: HostProbe = systemProbe): { cores: number; source: CoresSource } | undefined {
  const v2 = probe.readFile(CGROUP_V2_CPU_MAX)?.trim().split(/\s+/);
  if (v2 && v2.length >= 1) {
    if (v2[0] === 'max') return undefined;
    const cores = quotaToCores(Number(v2[0]), Number(v2[1] ?? 100_000));
    if (cores !== undefined) return { cores, source: 'cgroup-v2' };
  }
  for (const dir of CGROUP_V1_DIRS) {
    const quota = probe.readFile(`${dir}/cpu.cfs_quota_us`);
    const period = probe.readFile(`${dir}/cpu.cfs_period_us`);
    if (quota === undefined || period === undefined) continue;
    const cores = quotaToCores(Number(quota.trim()), Number(period.trim()));
    return cores === undefined ? undefined : { cores, source: 'cgroup-v1' };
  }
  return undefined;
}

function quotaToCores(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

/** The cores this host lets us use; `assigned` (WORKER_CORES, `worker --plan --cores 64`) replaces detection. */
export function detectHostCores(probe: HostProbe = systemProbe, assigned?: number): HostCores {
  const availableParallelism = Math.max(1, probe.availableParallelism());
  const quota = cgroupQuotaCores(probe);
  if (assigned !== undefined) {
    return { cores: assigned, source: 'assigned', availableParallelism, quotaCores: quota?.cores };
  }
  if (quota && quota.cores < availableParallelism) {
    return { cores: quota.cores, source: quota.source, availableParallelism, quotaCores: quota.cores };
  }
  return { cores: availableParallelism, source: 'cpus', availableParallelism, quotaCores: quota?.cores };
}
