import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { CourseDto, CourseMemberDto } from '@holdout/contracts';
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

  @Put(':id/members/:userId')
  @HttpCode(204)
  setRole(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Param('userId', ParseUUIDPipe) userId: string, @Body() body: unknown): Promise<void> {
    return this.courses.setRole(p, id, userId, body);
  }
}
