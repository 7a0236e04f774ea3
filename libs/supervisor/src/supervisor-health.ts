import { rename, writeFile } from 'node:fs/promises';

/** One device as the supervisor sees it: its worker's own health file, and whether it was given up on. */
export interface DeviceHealthEntry {
  device: string;
  healthFile: string;
  state: 'running' | 'gave-up';
}

/** The supervisor's file at WORKER_HEALTH_FILE: every device it runs a worker for. */
export interface SupervisorHealthFile {
  supervisorPid: number;
  devices: DeviceHealthEntry[];
  updatedAt: string;
}

/**
 * `/tmp/vectorizer-worker-health.json` → `/tmp/vectorizer-worker-health.cuda1.json`: each worker
 * process writes its own file, so one healthy GPU can never hide another's failure.
 */
export function deviceHealthFile(supervisorFile: string, device: string): string {
  const tag = device.replace(/[^A-Za-z0-9]/g, '');
  return supervisorFile.endsWith('.json') ? `${supervisorFile.slice(0, -5)}.${tag}.json` : `${supervisorFile}.${tag}`;
}

/** Replaces the file in one step, so a health check never reads half of it. */
export async function writeSupervisorHealth(file: string, devices: DeviceHealthEntry[]): Promise<void> {
  const body: SupervisorHealthFile = { supervisorPid: process.pid, devices, updatedAt: new Date().toISOString() };
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(body));
  await rename(temporary, file);
}
