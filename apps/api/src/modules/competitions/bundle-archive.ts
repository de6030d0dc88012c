import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { DomainError } from '../../common/domain-error.js';

const MAX_ENTRIES = 200_000;

/**
 * Unpacks an uploaded bundle (`.tar.gz`) into `<into>/<slug>/` — the loader wants the directory
 * named after the slug. Only regular files and directories; absolute paths, `..`, links and
 * devices are refused; the unpacked size is capped. Returns the bundle directory.
 */
export async function unpackBundle(archive: string, into: string, maxBytes: number): Promise<string> {
  const root = join(into, 'unpacked');
  await mkdir(root, { recursive: true });
  let entries = 0;
  let total = 0;
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const fail = (message: string) => {
      stream.resume();
      next(new DomainError('bad_request', `bundle archive: ${message}`));
    };
    if (++entries > MAX_ENTRIES) return fail(`more than ${MAX_ENTRIES} entries`);
    const name = normalize(h.name).replace(/^(\.\/)+/, '');
    if (!name || name.startsWith('/') || name.split(/[\\/]/).includes('..')) return fail(`refusing the path "${h.name}"`);
    const target = join(root, name);
    if (!target.startsWith(root + sep) && target !== root) return fail(`refusing the path "${h.name}"`);
    if (h.type === 'directory') {
      stream.resume();
      mkdir(target, { recursive: true }).then(() => next(), next);
      return;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file' && h.type != null) {
      if (h.type === 'pax-header' || h.type === 'pax-global-header') return (stream.resume(), next());
      return fail(`"${h.name}" is a ${h.type}; only files and directories are allowed`);
    }
    total += h.size ?? 0;
    if (total > maxBytes) return fail(`unpacks to more than ${Math.round(maxBytes / 1024 / 1024)} MB`);
    mkdir(dirname(target), { recursive: true })
      .then(() => pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o644 })))
      .then(() => next(), next);
  });
  try {
    await pipeline(createReadStream(archive), createGunzip(), extract);
  } catch (err) {
    await rm(into, { recursive: true, force: true });
    if (err instanceof DomainError) throw err;
    throw new DomainError('bad_request', `bundle archive: not a readable .tar.gz (${(err as Error).message})`);
  }
  // competition.yaml at the top, or inside a single top-level directory.
  let bundle = root;
  const top = await readdir(root, { withFileTypes: true });
  if (!top.some((e) => e.name === 'competition.yaml')) {
    const dirs = top.filter((e) => e.isDirectory());
    if (dirs.length !== 1) throw new DomainError('bad_request', 'bundle archive: competition.yaml not found at the top or in a single top-level directory');
    bundle = join(root, dirs[0]!.name);
  }
  const yaml = await readFile(join(bundle, 'competition.yaml'), 'utf8').catch(() => null);
  if (yaml === null) throw new DomainError('bad_request', 'bundle archive: competition.yaml not found');
  const slug = /^slug:\s*["']?([a-z0-9-]+)["']?\s*$/m.exec(yaml)?.[1];
  if (!slug) throw new DomainError('bad_request', 'competition.yaml: slug is missing or not a slug', [{ file: 'competition.yaml', field: 'slug', message: 'is required' }]);
  const dest = join(into, slug);
  await rename(bundle, dest);
  await rm(root, { recursive: true, force: true });
  return dest;
}
