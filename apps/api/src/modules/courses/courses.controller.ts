import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { CourseDto, CourseMemberDto, RosterImportDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { CoursesService } from './courses.service.js';

@ApiTags('courses')
@Controller('courses')
export class CoursesController {
  constructor(private readonly courses: CoursesService) {}

  @Get()
  mine(@CurrentUser() p: Principal): Promise<CourseDto[]> {
    return this.courses.mine(p.userId);
  }

  @Post()
  create(@CurrentUser() p: Principal, @Body() body: unknown): Promise<CourseDto> {
    return this.courses.create(p, body);
  }

  @Post('join')
  @HttpCode(200)
  join(@CurrentUser() p: Principal, @Body() body: unknown): Promise<CourseDto> {
    return this.courses.join(p, body);
  }

  @Get(':id/members')
  members(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<CourseMemberDto[]> {
    return this.courses.members(p, id);
  }

  /** `{expiresAt?}`: a new join code (the old one stops working), optionally expiring. Instructors. */
  @Put(':id/join-code')
  joinCode(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: unknown): Promise<CourseDto> {
    return this.courses.joinCode(p, id, body);
  }

  /** Revokes the join code: nobody joins by code until a new one is made. Instructors. */
  @Delete(':id/join-code')
  revokeJoinCode(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<CourseDto> {
    return this.courses.joinCode(p, id, null, true);
  }

  /** `{csv, apply}`: checks a roster of e-mail addresses row by row; `apply: true` imports it (all rows valid). Instructors. */
  @Post(':id/roster')
  @HttpCode(200)
  roster(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: unknown): Promise<RosterImportDto> {
    return this.courses.roster(p, id, body);
  }

  /** Removes a member (their submissions stay for the record; a team they leave empty leaves the boards). Instructors. */
  @Delete(':id/members/:userId')
  @HttpCode(204)
  remove(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Param('userId', ParseUUIDPipe) userId: string): Promise<void> {
    return this.courses.removeMember(p, id, userId);
  }

  @Put(':id/members/:userId')
  @HttpCode(204)
  setRole(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Param('userId', ParseUUIDPipe) userId: string, @Body() body: unknown): Promise<void> {
    return this.courses.setRole(p, id, userId, body);
  }
}
