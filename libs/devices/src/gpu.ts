/** One GPU as nvidia-smi reports it. Memory in MiB, as nvidia-smi prints it with `nounits`. */
export interface GpuInfo {
  /** nvidia-smi's index (PCI bus order). */
  index: number;
  /** Stable across reboots and renumbering, e.g. "GPU-5f3c…". */
  uuid: string;
  name: string;
  memoryTotalMb: number;
  memoryFreeMb: number;
}
