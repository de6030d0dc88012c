import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { BundleDto } from '@holdout/contracts';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { CompetitionsService } from './competitions.service.js';

@ApiTags('competitions')
@Controller('bundles')
export class BundlesController {
  constructor(private readonly competitions: CompetitionsService) {}

  /** Instructors (of any course) and site admins: the bundled competitions `POST /api/competitions {bundle}` can create. */
  @Get()
  list(@CurrentUser() p: Principal): Promise<BundleDto[]> {
    return this.competitions.listBundles(p);
  }
}
