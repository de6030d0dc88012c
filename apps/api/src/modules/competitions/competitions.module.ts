import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CoursesModule } from '../courses/courses.module.js';
import { SubmissionIntake } from '../submissions/submission-intake.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { BundlesController } from './bundles.controller.js';
import { CompetitionAccess } from './competition-access.service.js';
import { CompetitionsController } from './competitions.controller.js';
import { BundleUploadInterceptor, CompetitionsService } from './competitions.service.js';
import { DataService } from './data.service.js';
import { RescoreService, RescoreUploadInterceptor } from './rescore.service.js';
import { TilesController } from './tiles.controller.js';
import { TilesService } from './tiles.service.js';

@Module({
  imports: [AuditModule, CoursesModule],
  controllers: [CompetitionsController, BundlesController, TilesController],
  providers: [BundleUploadInterceptor, CompetitionAccess, CompetitionsService, DataService, RescoreService, RescoreUploadInterceptor, SubmissionIntake, SubmissionsRepository, TilesService],
  exports: [CompetitionAccess, CompetitionsService, SubmissionIntake, SubmissionsRepository],
})
export class CompetitionsModule {}
