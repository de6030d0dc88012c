import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { LeaderboardEventDto, ShakeupDto, Split } from '@holdout/contracts';
import type { Request, Response } from 'express';
import { debounceTime } from 'rxjs';
import { badRequest } from '../../common/domain-error.js';
import { openSse } from '../../common/sse.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import { EventsBus } from '../events/events.bus.js';
import { LeaderboardsService } from './leaderboards.service.js';

@ApiTags('leaderboards')
@Controller('competitions/:slug')
export class LeaderboardsController {
  constructor(
    private readonly boards: LeaderboardsService,
    private readonly access: CompetitionAccess,
    private readonly bus: EventsBus,
  ) {}

  @Get('leaderboard')
  @ApiQuery({ name: 'split', enum: ['public', 'private'], required: false })
  async leaderboard(@CurrentUser() p: Principal, @Param('slug') slug: string, @Query('split') split: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const s = (split ?? 'public') as Split;
    if (s !== 'public' && s !== 'private') throw badRequest('split must be public or private');
    const board = await this.boards.board(p, slug, s);
    res.setHeader('etag', board.etag);
    res.setHeader('cache-control', 'private, no-cache');
    if (req.header('if-none-match') === board.etag) {
      res.status(304).end();
      return;
    }
    res.status(200);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', board.body.length);
    res.end(board.body);
  }

  /** `changed` events, debounced; the client fetches the board again. */
  @Get('leaderboard/events')
  async events(@CurrentUser() p: Principal, @Param('slug') slug: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { c } = await this.access.visible(p, slug);
    const stream = openSse(req, res);
    const sub = this.bus
      .competition(c.id)
      .pipe(debounceTime(250))
      .subscribe(() => {
        // Never an async subscriber: a read that fails (the database restarting) would reject
        // where nothing catches it, and an unhandled rejection ends the process. Without a fresh
        // read, the competition as the stream opened it says whether the private board changed.
        void this.access
          .load(slug)
          .catch(() => null)
          .then((fresh) => {
            const e: LeaderboardEventDto = { type: 'changed', split: 'public' };
            stream.send(e);
            if (isRevealed(fresh ?? c)) stream.send({ ...e, split: 'private' } satisfies LeaderboardEventDto);
          });
      });
    stream.onClose(() => sub.unsubscribe());
  }

  @Get('shakeup')
  shakeup(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<ShakeupDto> {
    return this.boards.shakeup(p, slug);
  }
}
