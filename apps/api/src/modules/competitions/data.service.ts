import { readdir, realpath, stat } from 'node:fs/promises';
import { join, posix, relative, resolve, sep } from 'node:path';
import { Injectable } from '@nestjs/common';
import { HostCompetitionData } from '@holdout/db';
import type { DataFileDto } from '@holdout/contracts';
import { DomainError, notFound } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess } from './competition-access.service.js';

/** The same weak ETag Express's `send` gives the file, so listing and download agree. */
export function weakEtag(size: number, mtime: Date): string {
  return `W/"${size.toString(16)}-${mtime.getTime().toString(16)}"`;
}

/**
 * What a bundle ships to participants besides the data: starter kernels in `starter/`
 * (libs/competition's `loadBundle` finds `starter/kernel.py|ipynb` there) and the baseline model
 * with its training script in `baseline/`. Only these folders, and only files of these kinds.
 */
const BUNDLE_FILES: Record<string, RegExp> = {
  starter: /^[^.\/][^/]*\.(py|ipynb)$/,
  baseline: /^[^.\/][^/]*\.(py|onnx|md)$/,
};

/**
 * Public competition data only. Paths are resolved under `<data>/public` and anything that
 * escapes it (`..`, absolute paths, symlinks out) is "not found"; `hidden/` is never reachable.
 * The bundle's starter kernels (`starter/*.py|*.ipynb`) and baseline (`baseline/*.py|*.onnx|*.md`)
 * are listed and served with the data under those names, so every client that lists the data
 * finds them; a file of that name in the public data itself takes precedence.
 */
@Injectable()
export class DataService {
  constructor(
    private readonly access: CompetitionAccess,
    private readonly hostData: HostCompetitionData,
  ) {}

  private async roots(p: Principal, slug: string): Promise<Roots> {
    const { c } = await this.access.visible(p, slug);
    if (c.dataStatus !== 'ready' || !c.publicDir) throw new DomainError('competition_not_ready', 'the competition data is still being prepared');
    // Where this API host has the data: built here (once) when a worker on another host provisioned it.
    const { publicDir } = await this.hostData.data(c);
    return { publicRoot: resolve(publicDir), bundleRoot: resolve(c.bundleDir) };
  }

  async list(p: Principal, slug: string): Promise<DataFileDto[]> {
    return this.listIn(await this.roots(p, slug));
  }

  private async listIn({ publicRoot, bundleRoot }: Roots): Promise<DataFileDto[]> {
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
    await walk(publicRoot, '');
    const names = new Set(out.map((f) => f.name));
    for (const [dir, allowed] of Object.entries(BUNDLE_FILES)) {
      for (const e of await readdir(join(bundleRoot, dir), { withFileTypes: true }).catch(() => [])) {
        const name = posix.join(dir, e.name);
        if (!e.isFile() || !allowed.test(e.name) || names.has(name)) continue;
        const st = await stat(join(bundleRoot, dir, e.name));
        out.push({ name, size: st.size, etag: weakEtag(st.size, st.mtime) });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Every listed file, resolved as `file` resolves it (so exactly what the viewer may download
   * one by one), for the "download all" archive. Access is checked once, not once per file.
   */
  async everything(p: Principal, slug: string): Promise<{ name: string; path: string }[]> {
    const roots = await this.roots(p, slug);
    const out: { name: string; path: string }[] = [];
    for (const f of await this.listIn(roots)) {
      const found = await resolveIn(roots, f.name); // null: gone since the listing
      if (found) out.push({ name: f.name, path: join(found.root, found.name) });
    }
    return out;
  }

  /**
   * A file the viewer may download: the real root it lies under, its path relative to that root
   * (no dot segments, so `send` may refuse dotfiles below the root without tripping over a
   * dot-directory above it, such as the default `<repo>/.data`) and its ETag.
   */
  async file(p: Principal, slug: string, name: string): Promise<{ root: string; name: string; etag: string }> {
    const found = await resolveIn(await this.roots(p, slug), name);
    if (!found) throw notFound('file');
    return found;
  }
}

interface Roots {
  publicRoot: string;
  bundleRoot: string;
}

/** `name` (as the listing names it) under the public data, or a bundle file under `starter/` or `baseline/`. */
async function resolveIn(roots: Roots, name: string): Promise<{ root: string; name: string; etag: string } | null> {
  if (!name || name.includes('\0') || name.split('/').some((s) => s === '..' || s.startsWith('.'))) return null;
  const found = await fileUnder(roots.publicRoot, name);
  if (found) return found;
  const [dir, file, ...rest] = name.split('/');
  const allowed = dir !== undefined && Object.hasOwn(BUNDLE_FILES, dir) ? BUNDLE_FILES[dir]! : null;
  if (allowed && file && rest.length === 0 && allowed.test(file)) return fileUnder(join(roots.bundleRoot, dir!), file);
  return null;
}

/** `name` under `root` when it is a regular file that stays inside the root, links resolved; else null. */
async function fileUnder(root: string, name: string): Promise<{ root: string; name: string; etag: string } | null> {
  const abs = resolve(root, name);
  if (!abs.startsWith(root + sep)) return null;
  const st = await stat(abs).catch(() => null);
  if (!st?.isFile()) return null;
  const realRoot = await realpath(root);
  const real = await realpath(abs);
  if (!real.startsWith(realRoot + sep)) return null;
  const rel = relative(realRoot, real);
  // A link inside the root to a dotfile inside it: refused like the dotfile itself.
  if (rel.split(sep).some((s) => s.startsWith('.'))) return null;
  return { root: realRoot, name: rel.split(sep).join('/'), etag: weakEtag(st.size, st.mtime) };
}
