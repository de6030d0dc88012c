import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, realpath, rm, rmdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_OUTPUT_ENTRIES } from './outputs.js';

/**
 * A hard size cap for a kernel's `/kaggle/working`: an ext4 filesystem in a sparse file of the
 * cap's size, loop-mounted on the host at the run's working directory (which the engine then
 * bind-mounts into the sandbox). A writer at full speed gets ENOSPC exactly at the cap; nothing
 * polls. Needs root (mount), loop devices and e2fsprogs — Debian has both packages by default.
 *
 * The image is sparse, so the host disk holds only what the kernel wrote (plus ~200 KiB).
 * There is no journal (the filesystem never outlives its run) and no `lost+found` (a kernel
 * would see it in /kaggle/working). Free space beyond the cap — mkfs cannot size a filesystem's
 * data area exactly — is reserved for root (`tune2fs -r`), which the kernel user never is.
 */
export class WorkingVolume {
  constructor(
    /** The mount point: the run's working directory on the host. */
    readonly dir: string,
    /** The sparse image file backing the loop device. */
    readonly image: string,
    /** Bytes the kernel user may write, rounded down to whole 4 KiB blocks. */
    readonly capBytes: number,
  ) {}

  /** What the kernel left: `full` when (nearly) no space or no inode is left, i.e. a write failed with ENOSPC. */
  async usage(): Promise<VolumeUsage> {
    const s = await statfs(this.dir);
    const availableBytes = s.bavail * s.bsize;
    return {
      usedBytes: this.capBytes - availableBytes,
      availableBytes,
      freeInodes: s.ffree,
      full: availableBytes < fullBelowBytes(this.capBytes) || s.ffree === 0,
    };
  }

  /** Unmounts, detaches the loop device and deletes the image. Safe to call twice. */
  async release(): Promise<void> {
    await unmount(this.dir);
    await detachLoopsUnder(await realpath(this.image).catch(() => this.image));
    await rm(this.image, { force: true });
  }
}

export interface VolumeUsage {
  usedBytes: number;
  availableBytes: number;
  freeInodes: number;
  /** Less than `fullBelowBytes(cap)` or no inode left: the kernel ran into the cap. */
  full: boolean;
}

const BLOCK = 4096;
/**
 * How close to the cap counts as having hit it. A write refused with ENOSPC can leave up to one
 * page-cache folio unused (ext4 reserves a whole large folio, 2 MiB on x86-64, per write step),
 * so "full" means less than 4 MiB (at most a quarter of the cap) is left.
 */
export function fullBelowBytes(capBytes: number): number {
  return Math.max(BLOCK, Math.min(4 * 1024 * 1024, Math.floor(capBytes / 4)));
}
/** Files and directories a kernel may create: the same bound the output walk has. */
const INODES = MAX_OUTPUT_ENTRIES;
const INODE_SIZE = 256;

/**
 * Creates a working volume of `capBytes` and mounts it at `dir` (created when missing), its root
 * owned by `uid:gid`. Throws (with the command's stderr) when any step fails; what was mounted
 * by then is released.
 */
export async function createWorkingVolume(o: { dir: string; image: string; capBytes: number; uid: number; gid: number }): Promise<WorkingVolume> {
  const capBlocks = Math.floor(o.capBytes / BLOCK);
  if (capBlocks < 1) throw new Error(`a working volume needs at least ${BLOCK} bytes, not ${o.capBytes}`);
  // Room for the inode tables, bitmaps and group descriptors on top of the cap; whatever is left
  // over after mkfs is reserved below. Unwritten, it costs no disk (the file is sparse).
  const size = capBlocks * BLOCK + INODES * INODE_SIZE + Math.ceil(o.capBytes / 64) + 16 * 1024 * 1024;
  await mkdir(o.dir, { recursive: true });
  const volume = new WorkingVolume(o.dir, o.image, capBlocks * BLOCK);
  try {
    const fh = await open(o.image, 'w', 0o600);
    try {
      await fh.truncate(size);
    } finally {
      await fh.close();
    }
    await run('mkfs.ext4', [
      '-q', '-F', '-b', String(BLOCK), '-I', String(INODE_SIZE), '-N', String(INODES), '-m', '0',
      '-O', '^has_journal,^resize_inode', '-E', `root_owner=${o.uid}:${o.gid},nodiscard,lazy_itable_init=1`,
      '-L', 'holdout-work', o.image,
    ]);
    await mountImage(o.image, o.dir);
    await rmdir(join(o.dir, 'lost+found'));
    const excess = (await statfs(o.dir)).bavail - capBlocks;
    if (excess < 0) throw new Error(`working volume ${o.image}: ${-excess} blocks short of the cap after mkfs`);
    if (excess > 0) {
      // Reserved blocks are counted from the superblock at mount time: unmount to set them. The
      // loop device must be gone first: `mount -o loop` reuses a device still attached to the
      // same file, whose cached superblock predates tune2fs (seen as all blocks free, once in CI).
      await unmount(o.dir);
      await detachLoopsUnder(await realpath(o.image).catch(() => o.image));
      await run('tune2fs', ['-r', String(excess), o.image]);
      await mountImage(o.image, o.dir);
      const avail = (await statfs(o.dir)).bavail;
      if (avail !== capBlocks) throw new Error(`working volume ${o.image}: ${avail} blocks free, expected ${capBlocks}`);
    }
    return volume;
  } catch (err) {
    await volume.release().catch(() => undefined);
    throw err;
  }
}

/**
 * Whether working volumes can be made here: null when a small one was created, written to and
 * released under `root`; otherwise why not (not root, no loop device, no mkfs.ext4, …).
 */
export async function probeWorkingVolumes(root: string): Promise<string | null> {
  if (process.platform !== 'linux') return `loop mounts need Linux, not ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'mounting a loop device needs root';
  let dir: string;
  try {
    dir = await mkdtemp(join(root, '.probe-'));
  } catch (err) {
    return `cannot create a probe directory under ${root}: ${(err as Error).message}`;
  }
  try {
    const v = await createWorkingVolume({ dir: join(dir, 'working'), image: join(dir, 'working.img'), capBytes: 1024 * 1024, uid: 0, gid: 0 });
    await v.release();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await releaseVolumesUnder(dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Crash cleanup: unmounts every filesystem mounted at or below `root` (deepest first) and
 * detaches every loop device whose backing file lies below it. Returns the mount points
 * released. A directory must go through this before `rm -r`, which would otherwise descend
 * into a still-mounted volume.
 */
export async function releaseVolumesUnder(root: string): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const base = await realpath(root).catch(() => root);
  const mounts = (await mountPoints()).filter((m) => m === base || m.startsWith(`${base}/`)).sort((a, b) => b.length - a.length);
  for (const m of mounts) await unmount(m);
  await detachLoopsUnder(base);
  return mounts;
}

/** Mount points of this process's mount namespace (`/proc/self/mountinfo`, octal escapes decoded). */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Loop devices and their backing files (`losetup --list --json`); none when losetup is missing. */
export async function loopDevices(): Promise<{ name: string; backFile: string }[]> {
  const out = await run('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']).catch(() => '');
  if (!out.trim()) return [];
  const parsed = JSON.parse(out) as { loopdevices?: { name: string; 'back-file': string | null }[] };
  return (parsed.loopdevices ?? []).map((d) => ({ name: d.name, backFile: (d['back-file'] ?? '').replace(/ \(deleted\)$/, '') }));
}

async function mountImage(image: string, dir: string): Promise<void> {
  // `-o loop` attaches with autoclear: the device is freed when the last user unmounts.
  // noinit_itable: the image is fresh zeros, so the kernel need not zero inode tables behind us.
  await run('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev,noatime,noinit_itable', image, dir]);
}

/** Unmounts `dir`; not mounted is fine; still busy after 2 s, it is detached lazily. */
async function unmount(dir: string): Promise<void> {
  const real = await realpath(dir).catch(() => dir);
  const deadline = Date.now() + 2000;
  while ((await mountPoints()).includes(real)) {
    try {
      await run('umount', [real]);
    } catch (err) {
      if (!(await mountPoints()).includes(real)) return; // someone else's unmount won the race
      if (!/busy/i.test((err as Error).message)) throw err;
      if (Date.now() > deadline) await run('umount', ['-l', real]);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Detaches loop devices backed by `path` or by a file below it, and waits until the kernel has
 * let them go (an autoclear detach after the last unmount finishes asynchronously).
 */
async function detachLoopsUnder(path: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const attached = (await loopDevices()).filter((d) => d.backFile === path || d.backFile.startsWith(`${path}/`));
    if (attached.length === 0) return;
    if (Date.now() > deadline) throw new Error(`loop devices ${attached.map((d) => d.name).join(', ')} of ${path} are still attached after 5 s`);
    for (const d of attached) await run('losetup', ['-d', d.name]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a system tool (sbin included in PATH); rejects with its stderr. */
function run(cmd: string, args: string[]): Promise<string> {
  const PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, PATH }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}
