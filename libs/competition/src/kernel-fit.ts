import { formatBytes } from './upload/limits.js';

// What a competition's kernels ask for against what the kernel workers have. The engine would
// accept a 16 GB limit on an 8 GB host and let the kernel swap or die unpredictably; instead a
// run gets at most what its host can give, and instructors see at creation what no worker gives.

/** A kernel worker's machine, as it announces itself. */
export interface KernelHost {
  owner: string;
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** What a competition's kernel runs ask for (`kernel:` of competition.yaml). */
export interface KernelRequest {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/** Memory a host keeps for itself (engine, worker, page cache) whatever a kernel asks for. */
export const HOST_MEMORY_RESERVE = 1024 ** 3;

/** The memory a kernel on this host may have: all of it but the reserve (at least half of it). */
export function usableMemory(host: Pick<KernelHost, 'memoryBytes'>): number {
  return Math.max(host.memoryBytes - HOST_MEMORY_RESERVE, Math.floor(host.memoryBytes / 2));
}

/** A run's CPUs and memory on `host`: what the competition asks for, at most what the host has. */
export function fitToHost(req: KernelRequest, host: Omit<KernelHost, 'owner'>): { cpus: number; memoryBytes: number; clamped: string[] } {
  const cpus = Math.min(req.cpus, host.cpus);
  const memoryBytes = Math.min(req.memoryBytes, usableMemory(host));
  const clamped: string[] = [];
  if (cpus < req.cpus) clamped.push(`${req.cpus} CPUs asked, ${cpus} given`);
  if (memoryBytes < req.memoryBytes) clamped.push(`${formatBytes(req.memoryBytes)} of memory asked, ${formatBytes(memoryBytes)} given`);
  return { cpus, memoryBytes, clamped };
}

/**
 * What an instructor should know about a competition's kernel request given the kernel workers
 * online now: one sentence per thing no worker gives, saying what happens instead. Empty when
 * some worker gives everything.
 */
export function kernelRequestWarnings(req: KernelRequest, hosts: readonly KernelHost[], o: { cpuFallback: boolean }): string[] {
  if (hosts.length === 0) return ['No kernel worker is running now: kernel submissions wait in the queue until one starts.'];
  const out: string[] = [];
  const maxGpus = Math.max(...hosts.map((h) => h.gpus));
  if (req.gpus > maxGpus) {
    out.push(
      maxGpus === 0
        ? `Kernels ask for ${req.gpus} GPU${req.gpus === 1 ? '' : 's'} but no kernel worker has one: ${o.cpuFallback ? 'they run on the CPU (the kernel policy allows it).' : 'they wait until a GPU worker starts, unless the kernel policy allows running on the CPU.'}`
        : `Kernels ask for ${req.gpus} GPUs but the largest kernel worker has ${maxGpus}: they wait until a worker with ${req.gpus} starts.`,
    );
  }
  const maxCpus = Math.max(...hosts.map((h) => h.cpus));
  if (req.cpus > maxCpus) out.push(`Kernels ask for ${req.cpus} CPUs but the largest kernel worker has ${maxCpus}: runs get ${maxCpus}.`);
  const maxMemory = Math.max(...hosts.map(usableMemory));
  if (req.memoryBytes > maxMemory) {
    out.push(`Kernels ask for ${formatBytes(req.memoryBytes)} of memory but the largest kernel worker can give ${formatBytes(maxMemory)}: runs are limited to that.`);
  }
  return out;
}

/**
 * A rough wait for the kernel at `position` (1 = next): the runs ahead, shared by the workers
 * that take them, each lasting the median of this competition's recent runs. Null when nothing
 * takes them now or there is no history to go by.
 */
export function estimateWaitSeconds(o: { position: number; consumers: number; recentRunSeconds: readonly number[] }): number | null {
  if (o.consumers <= 0 || o.recentRunSeconds.length === 0) return null;
  const sorted = [...o.recentRunSeconds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  // Position 1 starts when one of the running kernels ends: about half a run on average.
  const rounds = Math.ceil(o.position / o.consumers) - 0.5;
  return Math.round(rounds * median);
}
