import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { ArtifactFiles } from '@holdout/db';
import sharp from 'sharp';
import type { TileInfoDto } from '@holdout/contracts';
import { maxImagePixelsOf, readImageHeader } from '@holdout/competition';
import { badRequest, DomainError, notFound } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess } from './competition-access.service.js';
import { DataService } from './data.service.js';

/** Edge of a served tile in pixels (edge tiles are cropped to the level, not padded). */
export const TILE_SIZE = 512;
export const TILE_FORMATS = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' } as const;
export type TileFormat = keyof typeof TILE_FORMATS;

/** Only pyramidal TIFFs are tiled; other images are small enough for the data route. */
const TIFF = /\.tiff?$/i;
const INT = /^(0|[1-9]\d{0,6})$/;

interface Pyramid {
  levels: { width: number; height: number }[];
}

/** A malformed or oversized image is the data's problem, named by its file: 422, never a 500. */
const unreadable = (name: string, why = 'is not a readable image') => new DomainError('unprocessable', `${name} ${why}`);

/**
 * Tiles of the public whole-slide images of a competition, read from their pyramid levels
 * (the TIFF pages libs/competition writes: page 0 full scale, each next page half the size).
 * The file is found by DataService.file, so the same rules hold as for downloads: members only,
 * public data only (no `hidden/`, no traversal, no links out, no dotfiles). A tile decodes only
 * the TIFF tiles under its region of one level, so memory stays bounded whatever the slide size.
 */
@Injectable()
export class TilesService {
  /** Pyramid geometry by absolute path and ETag (a rebuilt file gets a new ETag). */
  private readonly pyramids = new Map<string, Pyramid>();

  constructor(
    private readonly data: DataService,
    private readonly access: CompetitionAccess,
    private readonly files: ArtifactFiles,
  ) {}

  /** The image as a file on this host (a remote store's object through the API's cache), until `release`. */
  private async open(p: Principal, slug: string, name: string): Promise<{ path: string; release: () => Promise<void>; etag: string; pyramid: Pyramid; maxPixels: number }> {
    if (!TIFF.test(name)) throw notFound('file');
    const f = await this.data.file(p, slug, name);
    // libvips refuses to decode more pixels than the competition allows (never unlimited).
    const maxPixels = maxImagePixelsOf((await this.access.visible(p, slug)).c.config);
    const held = f.kind === 'file' ? { path: join(f.root, f.name), release: async () => undefined } : await this.files.file(f.key);
    try {
      const key = `${f.kind === 'file' ? held.path : f.key}\0${f.etag}`;
      let pyramid = this.pyramids.get(key);
      if (!pyramid) {
        pyramid = await readPyramid(held.path, name, maxPixels);
        if (this.pyramids.size > 500) this.pyramids.clear();
        this.pyramids.set(key, pyramid);
      }
      return { path: held.path, release: () => held.release(), etag: f.etag, pyramid, maxPixels };
    } catch (err) {
      await held.release();
      throw err;
    }
  }

  async info(p: Principal, slug: string, name: string): Promise<{ info: TileInfoDto; etag: string }> {
    const { etag, pyramid, release } = await this.open(p, slug, name);
    await release();
    const [full] = pyramid.levels;
    return {
      etag: `${etag.slice(0, -1)}-info"`,
      info: { width: full!.width, height: full!.height, tileSize: TILE_SIZE, levels: pyramid.levels },
    };
  }

  /** `level` 0 is full scale; `x`, `y` count tiles of TILE_SIZE from the top left of that level. */
  async tile(p: Principal, slug: string, name: string, level: string, x0: string, yExt: string): Promise<{ body: Buffer; etag: string; contentType: string }> {
    const m = /^(\d+)\.(png|jpg|webp)$/.exec(yExt);
    if (!INT.test(level) || !m || !INT.test(m[1]!) || !INT.test(x0)) throw badRequest('level, x and y are non-negative integers; the tile ends in .png, .jpg or .webp');
    const fmt = m[2] as TileFormat;
    const { path, release, etag, pyramid, maxPixels } = await this.open(p, slug, name);
    try {
      return await this.readTile(name, path, etag, pyramid, maxPixels, level, x0, m[1]!, fmt);
    } finally {
      await release();
    }
  }

  private async readTile(name: string, path: string, etag: string, pyramid: Pyramid, maxPixels: number, level: string, x0: string, y0: string, fmt: TileFormat): Promise<{ body: Buffer; etag: string; contentType: string }> {
    const l = Number(level);
    const x = Number(x0);
    const y = Number(y0);
    const size = pyramid.levels[l];
    if (!size || x * TILE_SIZE >= size.width || y * TILE_SIZE >= size.height) throw notFound('tile');
    const left = x * TILE_SIZE;
    const top = y * TILE_SIZE;
    const region = { left, top, width: Math.min(TILE_SIZE, size.width - left), height: Math.min(TILE_SIZE, size.height - top) };
    let img = sharp(path, { page: l, limitInputPixels: maxPixels }).extract(region);
    img = fmt === 'png' ? img.png() : fmt === 'webp' ? img.webp({ quality: 85 }) : img.jpeg({ quality: 85 });
    const body = await img.toBuffer().catch(() => {
      throw unreadable(name, `could not be decoded at level ${l} (truncated or corrupt)`);
    });
    return { body, etag: `${etag.slice(0, -1)}-${l}-${x}-${y}.${fmt}"`, contentType: TILE_FORMATS[fmt] };
  }
}

/** Level sizes: each page of the TIFF that halves the one before (rounded either way). */
async function readPyramid(path: string, name: string, maxPixels: number): Promise<Pyramid> {
  const head = await readImageHeader(path, maxPixels);
  if ('problem' in head) throw unreadable(name, head.problem);
  const levels = [{ width: head.width, height: head.height }];
  for (let page = 1; page < head.pages; page++) {
    const m = await sharp(path, { page, limitInputPixels: maxPixels }).metadata().catch(() => null);
    if (!m) break;
    const prev = levels[levels.length - 1]!;
    if (!m.width || !m.height || Math.abs(m.width - prev.width / 2) > 1 || Math.abs(m.height - prev.height / 2) > 1) break;
    levels.push({ width: m.width, height: m.height });
  }
  return { levels };
}
