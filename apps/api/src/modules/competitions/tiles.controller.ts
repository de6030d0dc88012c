import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { TileInfoDto } from '@holdout/contracts';
import type { Request, Response } from 'express';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { TILE_SIZE, TilesService } from './tiles.service.js';

const joined = (file: string | string[]) => (Array.isArray(file) ? file.join('/') : file);
/** Tiles of a file change only when the file does (new ETag); members may lose access, so private and short. */
const CACHE = 'private, max-age=300';

function fresh(req: Request, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  return !!inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*');
}

/** Tiles of the public whole-slide images (pyramidal TIFFs) for the mask viewer. */
@ApiTags('competitions')
@Controller('competitions')
export class TilesController {
  constructor(private readonly tiles: TilesService) {}

  @Get(':slug/tiles/*file/info')
  @ApiOperation({ summary: `Size and pyramid levels of a public TIFF test image (members only; tiles are ${TILE_SIZE} px, level 0 is full scale).` })
  @ApiParam({ name: 'file', description: 'path of the image in the public data, e.g. test/abc.tiff' })
  async info(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('file') file: string | string[], @Req() req: Request, @Res() res: Response): Promise<void> {
    const { info, etag } = await this.tiles.info(p, slug, joined(file));
    res.setHeader('etag', etag);
    res.setHeader('cache-control', CACHE);
    if (fresh(req, etag)) res.status(304).end();
    else res.json(info satisfies TileInfoDto);
  }

  @Get(':slug/tiles/*file/:level/:x/:y')
  @ApiOperation({ summary: `One ${TILE_SIZE}×${TILE_SIZE} tile (cropped at the edges) of a pyramid level; y ends in .png, .jpg or .webp. 400 for malformed numbers, 404 outside the level.` })
  @ApiParam({ name: 'file', description: 'path of the image in the public data, e.g. test/abc.tiff' })
  @ApiParam({ name: 'level', description: '0 is full scale; each level halves the one before' })
  @ApiParam({ name: 'y', description: 'tile row with the format, e.g. 3.jpg' })
  @ApiProduces('image/png', 'image/jpeg', 'image/webp')
  async tile(
    @CurrentUser() p: Principal,
    @Param('slug') slug: string,
    @Param('file') file: string | string[],
    @Param('level') level: string,
    @Param('x') x: string,
    @Param('y') y: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const t = await this.tiles.tile(p, slug, joined(file), level, x, y);
    res.setHeader('etag', t.etag);
    res.setHeader('cache-control', CACHE);
    if (fresh(req, t.etag)) {
      res.status(304).end();
      return;
    }
    res.type(t.contentType).send(t.body);
  }
}
