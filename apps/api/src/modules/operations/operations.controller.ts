import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { OperationsStatusDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { OperationsService } from './operations.service.js';

@ApiTags('admin')
@Controller('admin')
export class OperationsController {
  constructor(private readonly ops: OperationsService) {}

  /** Site admins: queue depths, unfinished and stuck submissions, running kernels and models, the week's GPU hours (docs/operations.md). */
  @Get('status')
  status(@CurrentUser() p: Principal): Promise<OperationsStatusDto> {
    return this.ops.status(p);
  }
}
