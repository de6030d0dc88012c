import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ArtifactFiles, HostCompetitionData } from '@holdout/db';
import { AuditModule } from '../audit/audit.module.js';
import { CoursesModule } from '../courses/courses.module.js';
import { SubmissionIntake } from '../submissions/submission-intake.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { CompetitionBundles } from './bundles.js';
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
  providers: [
    BundleUploadInterceptor,
    CompetitionAccess,
    CompetitionsService,
    DataService,
    RescoreService,
    RescoreUploadInterceptor,
    SubmissionIntake,
    SubmissionsRepository,
    TilesService,
    {
      provide: HostCompetitionData,
      inject: [CompetitionBundles, ArtifactFiles, APP_CONFIG],
      useFactory: (bundles: CompetitionBundles, files: ArtifactFiles, config: AppConfig) => new HostCompetitionData(bundles, config.dataDir, files),
    },
  ],
  exports: [CompetitionAccess, CompetitionsService, SubmissionIntake, SubmissionsRepository],
})
export class CompetitionsModule {}
