import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { SubmissionDto, TeamSummaryDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { Disqualifications } from './disqualifications.service.js';

/** The course staff's side of teams: the list, and disqualification (instructors). */
@ApiTags('teams')
@Controller()
export class StaffTeamsController {
  constructor(private readonly dq: Disqualifications) {}

  @Get('competitions/:slug/teams')
  teams(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<TeamSummaryDto[]> {
    return this.dq.teams(p, slug);
  }

  /** `{reason}`: off the leaderboards and the shake-up; the team reads the reason. */
  @Post('competitions/:slug/teams/:teamId/disqualification')
  @HttpCode(200)
  disqualifyTeam(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('teamId', ParseUUIDPipe) teamId: string, @Body() body: unknown): Promise<TeamSummaryDto> {
    return this.dq.team(p, slug, teamId, body ?? {});
  }

  @Delete('competitions/:slug/teams/:teamId/disqualification')
  reinstateTeam(@CurrentUser() p: Principal, @Param('slug') slug: string, @Param('teamId', ParseUUIDPipe) teamId: string): Promise<TeamSummaryDto> {
    return this.dq.team(p, slug, teamId, null);
  }

  /** `{reason}`: this submission is never ranked; its team reads the reason. */
  @Post('submissions/:id/disqualification')
  @HttpCode(200)
  disqualifySubmission(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: unknown): Promise<SubmissionDto> {
    return this.dq.submission(p, id, body ?? {});
  }

  @Delete('submissions/:id/disqualification')
  reinstateSubmission(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SubmissionDto> {
    return this.dq.submission(p, id, null);
  }
}
