import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { CompetitionBundleError } from '../errors.js';
import { BUNDLE_LIMITS, bundleFileLimit, formatBytes } from './limits.js';

const ARCHIVE = 'bundle archive';

/**
 * What an archive may unpack to beyond the sizes its entries declare: each entry's header, padding
 * and any long-name or pax records (4 KiB is ample), plus what the streams buffer ahead of the tar
 * parser. A gzip stream that inflates past this is a bomb: tar readers skip zero blocks after the
 * end of an archive, so gigabytes of zeros would otherwise be inflated for nothing.
 */
const slackBytes = (entries: number) => (entries + 2) * 4096 + 1024 * 1024;

/** A problem with the archive itself (not one of its files' contents). */
const archiveError = (message: string, file = ARCHIVE) => new CompetitionBundleError(ARCHIVE, [{ file, message }]);

/**
 * Unpacks an uploaded bundle (`.tar.gz`) into `<into>/unpacked/` and returns the directory that
 * holds `competition.yaml` (the top, or a single top-level directory). Only regular files and
 * directories; absolute paths, `..`, links and devices are refused. Each file is held to its limit
 * (`bundleFileLimit`) and the whole to `maxTotalBytes` from the sizes the entries declare, before
 * anything is written, so an oversized file is never read. Throws `CompetitionBundleError` naming
 * the file (paths inside the archive only, never where it was unpacked) and leaves nothing behind.
 */
export async function unpackBundleArchive(o: { archive: string; into: string; maxTotalBytes: number; onEntry?: (entries: number) => void }): Promise<string> {
  const root = join(o.into, 'unpacked');
  await mkdir(root, { recursive: true });
  let entries = 0;
  let total = 0;
  let declared = 0;
  let inflated = 0;
  const seen = new Set<string>();
  const extract = tar.extract();
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > declared + slackBytes(entries)) {
        return done(archiveError(`decompresses to far more than its entries declare (over ${formatBytes(inflated)} for ${formatBytes(declared)} of files); is it a decompression bomb?`));
      }
      done(null, chunk);
    },
  });
  extract.on('entry', (h, stream, next) => {
    declared += h.size ?? 0;
    const fail = (message: string, file = ARCHIVE) => {
      stream.resume();
      next(archiveError(message, file));
    };
    if (++entries > BUNDLE_LIMITS.maxEntries) return fail(`has more than ${BUNDLE_LIMITS.maxEntries} entries`);
    o.onEntry?.(entries);
    const name = normalize(h.name).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (!name || name === '.' || name.startsWith('/') || name.split(/[\\/]/).includes('..')) return fail(`refusing the path "${h.name}"`);
    const target = join(root, name);
    if (!target.startsWith(root + sep)) return fail(`refusing the path "${h.name}"`);
    if (h.type === 'directory') {
      stream.resume();
      mkdir(target, { recursive: true }).then(() => next(), next);
      return;
    }
    if (h.type === 'pax-header' || h.type === 'pax-global-header') return (stream.resume(), next());
    if (h.type !== 'file' && h.type !== 'contiguous-file' && h.type != null) return fail(`is a ${h.type}; only files and directories are allowed`, name);
    if (seen.has(name)) return fail('appears twice in the archive', name);
    seen.add(name);
    const size = h.size ?? 0;
    const limit = bundleFileLimit(name, o.maxTotalBytes);
    if (size > limit.bytes) return fail(`is ${formatBytes(size)}; ${limit.what} may be at most ${formatBytes(limit.bytes)}`, name);
    total += size;
    if (total > o.maxTotalBytes) return fail(`unpacks to more than ${formatBytes(o.maxTotalBytes)}`);
    mkdir(dirname(target), { recursive: true })
      .then(() => pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o644 })))
      .then(() => next(), next);
  });
  try {
    await pipeline(createReadStream(o.archive), createGunzip(), meter, extract);
  } catch (err) {
    await rm(o.into, { recursive: true, force: true });
    if (err instanceof CompetitionBundleError) throw err;
    // zlib and tar messages name no paths; file-system errors could, so they are not passed on.
    const code = (err as NodeJS.ErrnoException).code;
    const detail = code && !code.startsWith('Z_') && code !== 'ERR_INVALID_ARG_TYPE' ? code : (err as Error).message.split('\n')[0];
    throw archiveError(`is not a readable .tar.gz (${detail})`);
  }
  const top = await readdir(root, { withFileTypes: true });
  if (top.some((e) => e.name === 'competition.yaml')) return root;
  const dirs = top.filter((e) => e.isDirectory());
  if (dirs.length !== 1) {
    await rm(o.into, { recursive: true, force: true });
    throw archiveError('competition.yaml not found at the top or in a single top-level directory', 'competition.yaml');
  }
  return join(root, dirs[0]!.name);
}

/** A `.tar.gz` of `files` (path inside the archive → content): how tests and the CLI pack a bundle. */
export async function packBundleArchive(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  return gzipSync(Buffer.concat(chunks));
}
