import { copyFile, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface DirUsage {
  bytes: number;
  entries: number;
  /** True when the walk stopped early because a limit was passed. */
  exceeded: boolean;
}

/** Entries per directory tree we are willing to walk; more counts as exceeding the cap. */
export const MAX_OUTPUT_ENTRIES = 100_000;

/**
 * Sums file sizes under `dir` without following symlinks, stopping as soon as `limitBytes` or
 * `maxEntries` is passed (so a hostile tree of millions of files costs a bounded walk).
 */
export async function measureDir(dir: string, limitBytes: number, maxEntries = MAX_OUTPUT_ENTRIES): Promise<DirUsage> {
  const usage: DirUsage = { bytes: 0, entries: 0, exceeded: false };
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(current);
    } catch {
      continue; // removed meanwhile, or not readable
    }
    for (const name of names) {
      const path = join(current, name);
      usage.entries += 1;
      try {
        const st = await lstat(path);
        // The larger of apparent and allocated size: neither sparse files nor many small ones slip past.
        usage.bytes += Math.max(st.isFile() ? st.size : 0, st.blocks * 512);
        if (st.isDirectory()) stack.push(path);
      } catch {
        continue;
      }
      if (usage.bytes > limitBytes || usage.entries > maxEntries) {
        usage.exceeded = true;
        return usage;
      }
    }
  }
  return usage;
}

/**
 * Copies regular files and directories from `from` to `to`, dropping symlinks, devices, sockets
 * and fifos (a kernel could otherwise leave a link to a host path for the worker to follow), and
 * stopping at `limitBytes`. Returns the bytes copied and whether anything was left out.
 */
export async function copyRegularFiles(from: string, to: string, limitBytes: number): Promise<{ bytes: number; skipped: number }> {
  let bytes = 0;
  let skipped = 0;
  let entries = 0;
  const walk = async (src: string, dst: string): Promise<void> => {
    await mkdir(dst, { recursive: true });
    let names: string[];
    try {
      names = await readdir(src);
    } catch {
      return;
    }
    for (const name of names) {
      if (++entries > MAX_OUTPUT_ENTRIES) {
        skipped += 1;
        continue;
      }
      const s = join(src, name);
      const d = join(dst, name);
      const st = await lstat(s).catch(() => null);
      if (st?.isDirectory()) await walk(s, d);
      else if (st?.isFile() && bytes + st.size <= limitBytes) {
        await copyFile(s, d);
        bytes += st.size;
      } else skipped += 1;
    }
  };
  await walk(from, to);
  return { bytes, skipped };
}
