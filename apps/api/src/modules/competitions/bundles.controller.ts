import { Controller, Get, Param, ParseUUIDPipe, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiTags } from '@nestjs/swagger';
import type { BundleDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { openSse } from '../../common/sse.js';
import { EventsBus } from '../events/events.bus.js';
import { CompetitionsService } from './competitions.service.js';

@ApiTags('competitions')
@Controller('bundles')
export class BundlesController {
  constructor(
    private readonly competitions: CompetitionsService,
    private readonly bus: EventsBus,
  ) {}

  /** Instructors (of any course) and site admins: the bundled competitions `POST /api/competitions {bundle}` can create. */
  @Get()
  list(@CurrentUser() p: Principal): Promise<BundleDto[]> {
    return this.competitions.listBundles(p);
  }

  /**
   * Progress of the check of a bundle archive this user is uploading with the multipart field
   * `checkId` (a UUID the client chose): `{step, done, total}` events, step unpacking → config →
   * images. Open it before the upload; the upload's answer is the outcome. Other users' checks
   * send nothing.
   */
  @Get('checks/:id/events')
  checkEvents(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Req() req: Request, @Res() res: Response): void {
    const stream = openSse(req, res);
    const sub = this.bus.bundleCheck(id, p.userId).subscribe((e) => stream.send(e.progress));
    stream.onClose(() => sub.unsubscribe());
  }
}
