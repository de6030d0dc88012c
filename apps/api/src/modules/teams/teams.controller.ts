import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TeamDto, TeamInviteDto, TeamLinkPreviewDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { TeamsService } from './teams.service.js';

/** The viewer's team in a competition: name, invites (by team name or link), merges, leaving. */
@ApiTags('teams')
@Controller('competitions/:slug/team')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Get()
  mine(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<TeamDto> {
    return this.teams.mine(p, slug);
  }

  /** `{name}`: unique in the competition (case aside). */
  @Patch()
  rename(@CurrentUser() p: Principal, @Param('slug') slug: string, @Body() body: unknown): Promise<TeamDto> {
    return this.teams.rename(p, slug, body);
  }

  /** Makes the team's invite link (once); the team's `invitePath` holds it. */
  @Post('invite-link')
  @HttpCode(200)
  inviteLink(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<TeamDto> {
    return this.teams.inviteLink(p, slug);
  }

  /** What merging into the link's team would do, before doing it. */
  @Get('invite-link/:code')
  preview(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('code') code: string): Promise<TeamLinkPreviewDto> {
    return this.teams.previewLink(p, slug, code);
  }

  /** `{code}`: the viewer's team merges into the link's team (409 naming the rule that forbids it). */
  @Post('join')
  @HttpCode(200)
  join(@CurrentUser() p: Principal, @Param('slug') slug: string, @Body() body: unknown): Promise<TeamDto> {
    return this.teams.join(p, slug, body);
  }

  /** `{teamName}`: asks that team to merge into the viewer's. */
  @Post('invites')
  invite(@CurrentUser() p: Principal, @Param('slug') slug: string, @Body() body: unknown): Promise<TeamInviteDto> {
    return this.teams.invite(p, slug, body);
  }

  @Post('invites/:id/accept')
  @HttpCode(200)
  accept(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('id', ParseUUIDPipe) id: string): Promise<TeamDto> {
    return this.teams.accept(p, slug, id);
  }

  @Post('invites/:id/decline')
  @HttpCode(200)
  decline(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('id', ParseUUIDPipe) id: string): Promise<TeamDto> {
    return this.teams.answer(p, slug, id, 'declined');
  }

  /** Withdraws an invite the viewer's team sent. */
  @Delete('invites/:id')
  cancel(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('id', ParseUUIDPipe) id: string): Promise<TeamDto> {
    return this.teams.answer(p, slug, id, 'cancelled');
  }

  @Post('leave')
  @HttpCode(200)
  leave(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<TeamDto> {
    return this.teams.leave(p, slug);
  }
}
