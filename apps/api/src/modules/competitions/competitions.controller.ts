import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { basename, join } from 'node:path';
import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Res, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { CompetitionDto, CompetitionSummaryDto, DataFileDto, RescoreDto, RescoreStatusDto } from '@holdout/contracts';
import type { Response } from 'express';
import { ARTIFACT_STORE, type ArtifactStore, type Competition } from '@holdout/db';
import { notFound } from '../../common/domain-error.js';
import { sendArtifact } from '../../common/send-artifact.js';
import { Upload, type UploadInput } from '../../common/upload.interceptor.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { BundleUploadInterceptor, CompetitionsService } from './competitions.service.js';
import { DataService } from './data.service.js';
import { RescoreService, RescoreUploadInterceptor } from './rescore.service.js';

/** Files a zip stores rather than deflates: images are compressed already. */
const STORED = /\.(tiff?|png|jpe?g|webp)$/i;

@ApiTags('competitions')
@Controller('competitions')
export class CompetitionsController {
  constructor(
    private readonly competitions: CompetitionsService,
    private readonly data: DataService,
    private readonly rescores: RescoreService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  @Get()
  list(@CurrentUser() p: Principal): Promise<CompetitionSummaryDto[]> {
    return this.competitions.list(p);
  }

  /** JSON `{bundle, courseId, …}` for a bundled competition, or multipart with a `bundle` .tar.gz and the same fields. */
  @Post()
  @UseInterceptors(BundleUploadInterceptor)
  create(@CurrentUser() p: Principal, @Upload() input: UploadInput<null>): Promise<CompetitionDto> {
    return this.competitions.create(p, input);
  }

  @Get(':slug')
  get(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<CompetitionDto> {
    return this.competitions.get(p, slug);
  }

  /** Instructor of the course or site admin: move the timeline (ISO 8601 times) and change settings. */
  @Patch(':slug')
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: false,
      description:
        'At least one field. opensAt < teamMergeDeadline ≤ closesAt; the close of a closed competition cannot move; a merge deadline not given follows a moved close (the response\'s notes say how). submissionKinds: a non-empty subset of availableKinds. Settings changes are audited (competition.settings); the rules page\'s quota section follows the limits.',
      properties: {
        opensAt: { type: 'string', format: 'date-time' },
        teamMergeDeadline: { type: 'string', format: 'date-time', nullable: true },
        closesAt: { type: 'string', format: 'date-time' },
        title: { type: 'string', maxLength: 200 },
        limits: { type: 'object', additionalProperties: false, properties: { dailySubmissions: { type: 'integer', minimum: 1, maximum: 1000 }, finalSelections: { type: 'integer', minimum: 1, maximum: 20 }, maxTeamSize: { type: 'integer', minimum: 1, maximum: 50 } } },
        feedback: { type: 'object', additionalProperties: false, properties: { perImagePublic: { type: 'boolean' } } },
        submissionKinds: { type: 'array', items: { type: 'string', enum: ['file', 'kernel'] }, minItems: 1 },
        kernel: {
          type: 'object',
          additionalProperties: false,
          description: 'Only for competitions that take kernels.',
          properties: {
            timeLimitSeconds: { type: 'integer', minimum: 60, maximum: 259200 },
            memoryBytes: { type: 'integer' },
            cpus: { type: 'number' },
            gpus: { type: 'integer', minimum: 0, maximum: 16 },
            processes: { type: 'integer', minimum: 16, maximum: 32768 },
            showHiddenDataLogs: { type: 'boolean' },
            publicRunsPerDay: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        pages: { type: 'object', additionalProperties: false, properties: { overview: { type: 'string' }, data: { type: 'string' }, evaluation: { type: 'string' }, rules: { type: 'string' } } },
      },
    },
  })
  edit(@CurrentUser() p: Principal, @Param('slug') slug: string, @Body() body: unknown): Promise<CompetitionDto> {
    return this.competitions.edit(p, slug, body);
  }

  /** Instructor: close now and reveal the private leaderboard. */
  @Post(':slug/close')
  @HttpCode(200)
  close(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<CompetitionDto> {
    return this.competitions.closeNow(p, slug);
  }

  /** Course staff: how far a rescore is, and what it changed once finished. */
  @Get(':slug/rescores/:rescoreId')
  rescoreStatus(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('rescoreId', ParseUUIDPipe) rescoreId: string): Promise<RescoreStatusDto> {
    return this.rescores.status(p, slug, rescoreId);
  }

  /** Instructor: rescore every submission; with a multipart `solution` file, against a new solution version. */
  @Post(':slug/rescore')
  @HttpCode(202)
  @UseInterceptors(RescoreUploadInterceptor)
  rescore(@CurrentUser() p: Principal, @Param('slug') slug: string, @Upload() input: UploadInput<Competition>): Promise<RescoreDto> {
    return this.rescores.rescore(p, slug, input);
  }

  @Get(':slug/data')
  listData(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<DataFileDto[]> {
    return this.data.list(p, slug);
  }

  /**
   * "Download all": the listed files as one zip, streamed as it is written (images, already
   * compressed, are stored; text is deflated). Per-file downloads stay the resumable way.
   */
  @Get(':slug/data.zip')
  async downloadAll(@CurrentUser() p: Principal, @Param('slug') slug: string, @Res() res: Response): Promise<void> {
    const files = await this.data.everything(p, slug);
    const zip = new ZipFile();
    for (const { name, found } of files) {
      const options = { compress: !STORED.test(name) };
      if (found.kind === 'file') zip.addFile(join(found.root, found.name), name, options);
      // Opened when its turn comes, not all at once.
      else zip.addReadStreamLazy(name, options, (cb) => void this.store.get(found.key).then((s) => cb(null, s), (err: Error) => cb(err, undefined as never)));
    }
    zip.end();
    res.setHeader('content-type', 'application/zip');
    res.setHeader('content-disposition', `attachment; filename="${slug}.zip"`);
    res.setHeader('cache-control', 'private, no-cache');
    await pipeline(zip.outputStream, res);
  }

  /** Streams a public file; ETag, Last-Modified and Range come from Express's `send`. */
  @Get(':slug/data/*file')
  async download(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('file') file: string | string[], @Res() res: Response): Promise<void> {
    const name = Array.isArray(file) ? file.join('/') : file;
    const f = await this.data.file(p, slug, name);
    // From a remote store: a redirect to it (a presigned URL), which answers Range itself.
    if (f.kind === 'stored') return sendArtifact(res, this.store, f.key, { fileName: basename(name), contentType: name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/octet-stream', what: 'file' });
    // Our ETag (the listing's); `send` answers If-None-Match / If-Range / Range against it.
    res.setHeader('etag', f.etag);
    // Relative to the public root: `dotfiles` then applies to the file's path below the root
    // only, so a data directory under a dot-directory (the default `<repo>/.data`) still serves.
    await new Promise<void>((resolve, reject) => {
      res.sendFile(f.name, { root: f.root, dotfiles: 'deny', acceptRanges: true, etag: false, lastModified: true, cacheControl: false, headers: { 'cache-control': 'private, no-cache' } }, (err) => {
        if (!err || res.headersSent) return resolve();
        // Gone between the check and the send (a rebuild): the same 404 as any missing file.
        reject((err as { status?: number }).status === 404 ? notFound('file') : err);
      });
    });
  }
}
