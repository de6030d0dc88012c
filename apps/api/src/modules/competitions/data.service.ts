import { readdir, realpath, stat } from 'node:fs/promises';
import { join, posix, relative, resolve, sep } from 'node:path';
import { Injectable } from '@nestjs/common';
import type { DataFileDto } from '@holdout/contracts';
import { DomainError, notFound } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess } from './competition-access.service.js';

/** The same weak ETag Express's `send` gives the file, so listing and download agree. */
export function weakEtag(size: number, mtime: Date): string {
  return `W/"${size.toString(16)}-${mtime.getTime().toString(16)}"`;
}

/**
 * Public competition data only. Paths are resolved under `<data>/public` and anything that
 * escapes it (`..`, absolute paths, symlinks out) is "not found"; `hidden/` is never reachable.
 */
@Injectable()
export class DataService {
  constructor(private readonly access: CompetitionAccess) {}

  private async publicRoot(p: Principal, slug: string): Promise<string> {
    const { c } = await this.access.visible(p, slug);
    if (c.dataStatus !== 'ready' || !c.publicDir) throw new DomainError('competition_not_ready', 'the competition data is still being prepared');
    return resolve(c.publicDir);
  }

  async list(p: Principal, slug: string): Promise<DataFileDto[]> {
    const root = await this.publicRoot(p, slug);
    const out: DataFileDto[] = [];
    const walk = async (dir: string, rel: string) => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue;
        const abs = join(dir, e.name);
        const name = rel ? posix.join(rel, e.name) : e.name;
        if (e.isDirectory()) await walk(abs, name);
        else if (e.isFile()) {
          const st = await stat(abs);
          out.push({ name, size: st.size, etag: weakEtag(st.size, st.mtime) });
        }
      }
    };
    await walk(root, '');
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * A public file the viewer may download: the real public root, the file's path relative to it
   * (no dot segments, so `send` may refuse dotfiles below the root without tripping over a
   * dot-directory above it, such as the default `<repo>/.data`) and its ETag.
   */
  async file(p: Principal, slug: string, name: string): Promise<{ root: string; name: string; etag: string }> {
    const root = await this.publicRoot(p, slug);
    if (!name || name.includes('\0') || name.split('/').some((s) => s === '..' || s.startsWith('.'))) throw notFound('file');
    const abs = resolve(root, name);
    if (!abs.startsWith(root + sep)) throw notFound('file');
    const st = await stat(abs).catch(() => null);
    if (!st?.isFile()) throw notFound('file');
    const realRoot = await realpath(root);
    const real = await realpath(abs);
    if (!real.startsWith(realRoot + sep)) throw notFound('file');
    const rel = relative(realRoot, real);
    // A link inside public/ to a dotfile inside public/: refused like the dotfile itself.
    if (rel.split(sep).some((s) => s.startsWith('.'))) throw notFound('file');
    return { root: realRoot, name: rel.split(sep).join('/'), etag: weakEtag(st.size, st.mtime) };
  }
}
