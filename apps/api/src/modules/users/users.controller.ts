import { Body, Controller, Get, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AdminUserDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@Controller('admin/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Site admins: accounts, newest first (`?email=` filters by part of the address). */
  @Get()
  list(@CurrentUser() p: Principal, @Query() query: unknown): Promise<AdminUserDto[]> {
    return this.users.list(p, query);
  }

  /** Site admins: allow or forbid a user to open courses (`{"allowed": true}`). */
  @Put(':id/course-creator')
  setCourseCreator(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: unknown): Promise<AdminUserDto> {
    return this.users.setCourseCreator(p, id, body);
  }
}
