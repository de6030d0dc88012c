import { readdir, realpath, stat } from 'node:fs/promises';
import { join, posix, relative, resolve, sep } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { ARTIFACT_STORE, HostCompetitionData, publicDataPrefix, type ArtifactStore } from '@holdout/db';
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

/** A file to download: on this host's disk (`root` and the path below it), or an object of a remote store. */
export type FoundFile = { kind: 'file'; root: string; name: string; etag: string } | { kind: 'stored'; key: string; name: string; etag: string; size: number };

/**
 * Public competition data only. Paths are resolved under `<data>/public` and anything that
 * escapes it (`..`, absolute paths, symlinks out) is "not found"; `hidden/` is never reachable.
 * With a remote artifact store (API hosts without the data on their disk) the public files are the
 * objects the building worker published under `competition-data/<id>/public/` (never the hidden
 * ones: only `public/` is published), listed and handed out from there.
 * The bundle's starter kernels (`starter/*.py|*.ipynb`) and baseline (`baseline/*.py|*.onnx|*.md`)
 * are listed and served with the data under those names, so every client that lists the data
 * finds them; a file of that name in the public data itself takes precedence.
 */
@Injectable()
export class DataService {
  constructor(
    private readonly access: CompetitionAccess,
    private readonly hostData: HostCompetitionData,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  /** Public-data prefixes known to hold the published files: not listed again on every request. */
  private readonly seenPublished = new Set<string>();

  private async roots(p: Principal, slug: string): Promise<Roots> {
    const { c } = await this.access.visible(p, slug);
    if (c.dataStatus !== 'ready' || !c.publicDir) throw new DomainError('competition_not_ready', 'the competition data is still being prepared');
    // The bundle's starter and baseline files: an uploaded bundle is fetched once to an API host without it.
    const bundleRoot = resolve(await this.hostData.bundleDirOf(c));
    // Published when the data was built with the remote store; a competition built before the
    // deployment moved to it has nothing there, and is served from this host's own build.
    if (this.hostData.publishesData && (await this.published(publicDataPrefix(c.id)))) return { publicPrefix: publicDataPrefix(c.id), bundleRoot };
    return { publicRoot: resolve((await this.hostData.data(c)).publicDir), bundleRoot };
  }

  /** Whether anything is published under `prefix`; once seen, remembered (a republish replaces the files, it never withdraws them). */
  private async published(prefix: string): Promise<boolean> {
    if (this.seenPublished.has(prefix)) return true;
    for await (const _ of this.store.list(prefix, { pageSize: 1 })) {
      this.seenPublished.add(prefix);
      return true;
    }
    return false;
  }

  async list(p: Principal, slug: string): Promise<DataFileDto[]> {
    return this.listIn(await this.roots(p, slug));
  }

  private async listIn(roots: Roots): Promise<DataFileDto[]> {
    const { bundleRoot } = roots;
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
    if ('publicPrefix' in roots) {
      for await (const o of this.store.list(roots.publicPrefix)) {
        const name = o.key.slice(roots.publicPrefix.length);
        if (name.split('/').some((s) => s.startsWith('.'))) continue;
        out.push({ name, size: o.size, etag: weakEtag(o.size, o.modified) });
      }
    } else await walk(roots.publicRoot, '');
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
  async everything(p: Principal, slug: string): Promise<{ name: string; found: FoundFile }[]> {
    const roots = await this.roots(p, slug);
    const out: { name: string; found: FoundFile }[] = [];
    for (const f of await this.listIn(roots)) {
      const found = await this.resolveIn(roots, f.name); // null: gone since the listing
      if (found) out.push({ name: f.name, found });
    }
    return out;
  }

  /**
   * A file the viewer may download: the real root it lies under, its path relative to that root
   * (no dot segments, so `send` may refuse dotfiles below the root without tripping over a
   * dot-directory above it, such as the default `<repo>/.data`) and its ETag.
   */
  async file(p: Principal, slug: string, name: string): Promise<FoundFile> {
    const found = await this.resolveIn(await this.roots(p, slug), name);
    if (!found) throw notFound('file');
    return found;
  }

  /** `name` (as the listing names it) among the public data, or a bundle file under `starter/` or `baseline/`. */
  private async resolveIn(roots: Roots, name: string): Promise<FoundFile | null> {
    if (!name || name.includes('\0') || name.split('/').some((s) => s === '..' || s === '' || s.startsWith('.'))) return null;
    const found = 'publicPrefix' in roots ? await this.storedFile(roots.publicPrefix + name, name) : await fileUnder(roots.publicRoot, name);
    if (found) return found;
    const [dir, file, ...rest] = name.split('/');
    const allowed = dir !== undefined && Object.hasOwn(BUNDLE_FILES, dir) ? BUNDLE_FILES[dir]! : null;
    if (allowed && file && rest.length === 0 && allowed.test(file)) return fileUnder(join(roots.bundleRoot, dir!), file);
    return null;
  }

  private async storedFile(key: string, name: string): Promise<FoundFile | null> {
    const head = await this.store.head(key).catch(() => null);
    return head ? { kind: 'stored', key, name, etag: weakEtag(head.size, head.modified), size: head.size } : null;
  }
}

type Roots = { publicRoot: string; bundleRoot: string } | { publicPrefix: string; bundleRoot: string };

/** `name` under `root` when it is a regular file that stays inside the root, links resolved; else null. */
async function fileUnder(root: string, name: string): Promise<FoundFile | null> {
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
  return { kind: 'file', root: realRoot, name: rel.split(sep).join('/'), etag: weakEtag(st.size, st.mtime) };
}
