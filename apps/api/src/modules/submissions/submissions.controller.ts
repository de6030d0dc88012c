import { basename } from 'node:path';
import { Body, Controller, Get, Header, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiQuery, ApiTags } from '@nestjs/swagger';
import { badRequest } from '../../common/domain-error.js';
import type { KernelRunDto, SubmissionDetailDto, SubmissionDto, SubmissionEventDto } from '@holdout/contracts';
import type { Request, Response } from 'express';
import { openSse } from '../../common/sse.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { isRevealed } from '../competitions/competition-access.service.js';
import { EventsBus } from '../events/events.bus.js';
import { KernelSubmissions } from '../kernels/kernel-submissions.service.js';
import { ModelSubmissions } from './model-submissions.service.js';
import { toSubmissionDto } from './submission.mapper.js';
import { toSubmissionUpload, SubmissionUploadInterceptor } from './submission-upload.interceptor.js';
import { Upload, type UploadInput } from '../../common/upload.interceptor.js';
import { type Competition, ARTIFACT_STORE, type ArtifactStore } from '@holdout/db';
import { sendArtifact } from '../../common/send-artifact.js';
import { SubmissionsService } from './submissions.service.js';

/** How often an open event stream of an unfinished kernel gets its progress (position, elapsed time). */
const PROGRESS_EVERY_MS = 5_000;
/** How many times a stream tries to render a change whose read failed (1 s, 2 s, … apart). */
const RENDER_ATTEMPTS = 5;

@ApiTags('submissions')
@Controller()
export class SubmissionsController {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly bus: EventsBus,
    private readonly kernels: KernelSubmissions,
    private readonly models: ModelSubmissions,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  @Post('competitions/:slug/submissions')
  @HttpCode(202)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary', description: 'prediction CSV, or for kind=kernel a .py script or .ipynb notebook' },
        kind: { type: 'string', enum: ['file', 'kernel'] },
        description: { type: 'string' },
        cvScore: { type: 'number' },
        attachments: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'kernel only: files mounted read-only at /kaggle/input/<dataset>/' },
        dataset: { type: 'string', description: 'kernel only: name of the attached dataset (default "attached")' },
      },
    },
  })
  @UseInterceptors(SubmissionUploadInterceptor)
  upload(@CurrentUser() p: Principal, @Upload() input: UploadInput<Competition>): Promise<SubmissionDto> {
    return this.submissions.upload(p, toSubmissionUpload(input));
  }

  /** The viewer's team's submissions; `?scope=all`: every team's, for the course staff. */
  @Get('competitions/:slug/submissions')
  @ApiQuery({ name: 'scope', enum: ['mine', 'all'], required: false })
  mine(@CurrentUser() p: Principal, @Param('slug') slug: string, @Query('scope') scope?: string): Promise<SubmissionDto[]> {
    if (scope === 'all') return this.submissions.all(p, slug);
    if (scope !== undefined && scope !== 'mine') throw badRequest('scope must be mine or all');
    return this.submissions.mine(p, slug);
  }

  @Get('submissions/:id')
  detail(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SubmissionDetailDto> {
    return this.submissions.detail(p, id);
  }

  /**
   * Status changes of one submission, as `SubmissionEventDto` JSON; the first event is the current
   * state. An unfinished kernel or model also gets `progress` (queue position and wait, or elapsed
   * time; a model's image and windows) with each change and every few seconds. A kernel's log
   * lines the viewer may read come as they are printed; `?log=all` first sends what the latest
   * attempt's runs have printed so far (as `docker logs --follow` does).
   */
  @Get('submissions/:id/events')
  @ApiQuery({ name: 'log', enum: ['new', 'all'], required: false })
  async events(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Req() req: Request, @Res() res: Response, @Query('log') log?: string): Promise<void> {
    if (log !== undefined && log !== 'new' && log !== 'all') throw badRequest('log must be new or all');
    const first = await this.submissions.visibleTo(p, id);
    const stream = openSse(req, res);
    const live = first.s.kind === 'kernel' || first.s.kind === 'model';
    const progress = async () => {
      const now = first.s.kind === 'model' ? await this.models.progress(first.s.id, first.c) : await this.kernels.progress(first.s.id, first.c);
      if (now) stream.send({ type: 'progress', progress: now } satisfies SubmissionEventDto);
    };
    const render = async () => {
      const { s, c, teamName } = await this.submissions.visibleTo(p, id);
      const e: SubmissionEventDto = { type: 'status', submission: toSubmissionDto(s, { slug: c.slug, teamName, revealed: isRevealed(c) }) };
      stream.send(e);
      if (live) await progress();
    };
    // A read that fails (the database restarting) is tried again a few times, a second apart:
    // the change it was rendering is announced only once, and a stream must not miss it for good.
    let closed = false;
    const renderChange = async (attempt = 1): Promise<void> => {
      await render().catch(async () => {
        if (closed || attempt >= RENDER_ATTEMPTS) return;
        await new Promise((r) => setTimeout(r, 1_000 * attempt));
        await renderChange(attempt + 1);
      });
    };
    const ticker = live ? setInterval(() => void progress().catch(() => undefined), PROGRESS_EVERY_MS) : null;
    // Subscribe before rendering the first state so no change in between is missed.
    const sub = this.bus.submission(first.s.id).subscribe(() => void renderChange());
    // Kernels: live log lines, for viewers who may read the log.
    const unfollow = await this.kernels.followLog(p, first.s.id, (line, run, attempt, at) => stream.send({ type: 'log', line, run, attempt, at } satisfies SubmissionEventDto), log === 'all');
    stream.onClose(() => {
      closed = true;
      if (ticker) clearInterval(ticker);
      sub.unsubscribe();
      unfollow();
    });
    await renderChange();
  }

  /** A kernel's runs (public, then hidden), with what the viewer may read of each: log and files. */
  @Get('submissions/:id/runs')
  async runs(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<KernelRunDto[]> {
    await this.submissions.visibleTo(p, id);
    return this.kernels.runs(p, id);
  }

  /**
   * A kernel run's log (text), `?run=public|hidden` (default: the latest): full for staff and for
   * the team's public runs; a run over the hidden data only where the competition shows those logs.
   */
  @Get('submissions/:id/log')
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiQuery({ name: 'run', enum: ['public', 'hidden'], required: false })
  async log(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Query('run') run?: string): Promise<string> {
    await this.submissions.visibleTo(p, id);
    return this.kernels.log(p, id, run);
  }

  /**
   * A file a kernel run wrote, to those who may read its log: `?run=` as for the log, `?name=` a
   * name from the run's `files` (default `submission.csv`).
   */
  @Get('submissions/:id/output')
  @ApiQuery({ name: 'run', enum: ['public', 'hidden'], required: false })
  @ApiQuery({ name: 'name', required: false })
  async output(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Res() res: Response, @Query('run') run?: string, @Query('name') name?: string): Promise<void> {
    await this.submissions.visibleTo(p, id);
    const key = await this.kernels.outputKey(p, id, run, name);
    const file = basename(name ?? 'submission.csv');
    // Always a download, never rendered: a kernel may write any bytes under any name.
    await sendArtifact(res, this.store, key, { fileName: file, contentType: file.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/octet-stream', what: 'output' });
  }

  /** The prediction file a team uploaded (its team and the course staff), e.g. to look at it in the viewer. */
  @Get('submissions/:id/file')
  async file(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Res() res: Response): Promise<void> {
    const key = await this.submissions.uploadedFileKey(p, id);
    await sendArtifact(res, this.store, key, { fileName: 'submission.csv', contentType: 'text/csv; charset=utf-8', what: 'file' });
  }

  @Put('submissions/:id/selection')
  select(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: unknown): Promise<SubmissionDto> {
    return this.submissions.select(p, id, body);
  }
}
