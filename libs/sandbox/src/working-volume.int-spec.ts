// Working volumes on the real kernel: loop devices, mkfs.ext4 and mount (needs root). A writer
// running as the kernel user writes at full speed until ENOSPC; the file never exceeds the cap.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkingVolume, loopDevices, mountPoints, probeWorkingVolumes, releaseVolumesUnder } from './working-volume.js';

const MiB = 1024 * 1024;
const KERNEL_UID = 1000;
let root: string;

/** Runs `dd if=/dev/zero of=<file> bs=<bs>` as the kernel user until it fails; its exit code and stderr. */
function ddAsKernel(file: string, bs = '1M'): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn('dd', ['if=/dev/zero', `of=${file}`, `bs=${bs}`], { uid: KERNEL_UID, gid: KERNEL_UID, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stderr, ms: Date.now() - t0 }));
  });
}

/** What of `under` is still mounted or attached to a loop device. */
async function leftovers(under: string) {
  const base = await realpath(under).catch(() => under);
  return {
    mounts: (await mountPoints()).filter((m) => m.startsWith(`${base}/`)),
    loops: (await loopDevices()).filter((d) => d.backFile.startsWith(`${base}/`)).map((d) => d.name),
  };
}

before(async () => {
  const why = await probeWorkingVolumes(tmpdir());
  assert.equal(why, null, `working volumes must work on this machine (root, loop devices, e2fsprogs): ${why}`);
  root = await mkdtemp(join(tmpdir(), 'volume-it-'));
  await chmod(root, 0o755); // the kernel user must reach the mount points
});

after(async () => {
  const left = await leftovers(root);
  await releaseVolumesUnder(root);
  await rm(root, { recursive: true, force: true });
  assert.deepEqual(left, { mounts: [], loops: [] }, 'nothing of this suite stays mounted or attached');
});

describe('working volumes', () => {
  for (const cap of [1 * MiB, 8 * MiB, 100 * MiB + 3, 1024 * MiB]) {
    it(`stops a writer at full speed exactly at a ${cap}-byte cap, and leaves nothing behind`, async () => {
      const dir = join(root, `cap-${cap}`);
      const t0 = Date.now();
      const v = await createWorkingVolume({ dir: join(dir, 'working'), image: join(dir, 'working.img'), capBytes: cap, uid: KERNEL_UID, gid: KERNEL_UID });
      const setupMs = Date.now() - t0;
      const capBytes = Math.floor(cap / 4096) * 4096;
      assert.equal(v.capBytes, capBytes);
      assert.equal((await v.usage()).availableBytes, capBytes, 'the kernel user gets exactly the cap');
      assert.equal((await stat(v.dir)).uid, KERNEL_UID, 'the volume root is the kernel user\'s');

      const dd = await ddAsKernel(join(v.dir, 'x'));
      const written = await stat(join(v.dir, 'x')).then((s) => s.size, () => -1);
      if (written < 0) await v.release();
      console.log(`# cap ${cap}: dd bs=1M wrote ${written} bytes in ${dd.ms} ms (setup ${setupMs} ms), then: ${dd.stderr.split('\n')[0]}`);
      assert.notEqual(dd.code, 0);
      assert.match(dd.stderr, /No space left on device/);
      assert.ok(written <= cap, `wrote ${written} > cap ${cap}`);
      // A refused write may leave up to one page-cache folio (2 MiB) unused; a small writer then fills it to the block.
      assert.ok(written >= capBytes - 2 * MiB, `wrote ${written}, far below the cap ${capBytes}`);
      assert.equal((await v.usage()).full, true, 'what a refused write leaves counts as full');
      const rest = await ddAsKernel(join(v.dir, 'y'), '4k');
      const total = written + (await stat(join(v.dir, 'y'))).size;
      assert.match(rest.stderr, /No space left on device/);
      assert.ok(total <= capBytes && total >= capBytes - 4 * 4096, `wrote ${total} in all, cap ${capBytes}`);
      assert.equal((await v.usage()).availableBytes, 0);
      // The host's image holds what was written, not the image's nominal size.
      const allocated = (await stat(v.image)).blocks * 512;
      assert.ok(allocated < capBytes + 2 * MiB, `image allocates ${allocated} bytes on the host`);

      await v.release();
      await v.release(); // twice is fine
      assert.deepEqual(await leftovers(dir), { mounts: [], loops: [] });
      await assert.rejects(stat(v.image));
      await rm(dir, { recursive: true });
    });
  }

  it('a kernel that stays under the cap is not full; many small files run out of inodes, not of the host', async () => {
    const dir = join(root, 'small');
    const v = await createWorkingVolume({ dir: join(dir, 'working'), image: join(dir, 'working.img'), capBytes: 16 * MiB, uid: KERNEL_UID, gid: KERNEL_UID });
    try {
      await writeFile(join(v.dir, 'submission.csv'), 'id,predicted\n');
      const u = await v.usage();
      assert.equal(u.full, false);
      assert.ok(u.usedBytes > 0 && u.usedBytes <= 8192, `used ${u.usedBytes}`);
      assert.ok(u.freeInodes > 90_000 && u.freeInodes <= 100_100, `inodes ${u.freeInodes}`);
    } finally {
      await v.release();
    }
  });

  it('releaseVolumesUnder unmounts what a crashed runner left mounted', async () => {
    const dir = join(root, 'crashed');
    const v = await createWorkingVolume({ dir: join(dir, 'run-1', 'working'), image: join(dir, 'run-1', 'working.img'), capBytes: 4 * MiB, uid: KERNEL_UID, gid: KERNEL_UID });
    await writeFile(join(v.dir, 'left.bin'), Buffer.alloc(MiB));
    assert.equal((await leftovers(dir)).mounts.length, 1);
    const released = await releaseVolumesUnder(dir);
    assert.equal(released.length, 1);
    assert.deepEqual(await leftovers(dir), { mounts: [], loops: [] });
    await rm(dir, { recursive: true });
  });
});
