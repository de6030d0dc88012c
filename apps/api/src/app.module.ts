import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { type AppConfig, type JsonLogger } from '@holdout/db';
import { InfraModule } from './infra/infra.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { CompetitionBundles } from './modules/competitions/bundles.js';
import { CompetitionsModule } from './modules/competitions/competitions.module.js';
import { CoursesModule } from './modules/courses/courses.module.js';
import { EventsModule } from './modules/events/events.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { LeaderboardsModule } from './modules/leaderboards/leaderboards.module.js';
import { SubmissionsModule } from './modules/submissions/submissions.module.js';
import { TeamsModule } from './modules/teams/teams.module.js';
import { NotificationsModule } from './modules/notifications/notifications.js';
import { OperationsModule } from './modules/operations/operations.module.js';
import { UsersModule } from './modules/users/users.module.js';

export interface AppOptions {
  config: AppConfig;
  logger: JsonLogger;
  bundles: CompetitionBundles;
  /** An initialised DataSource to use instead of one built from the config (tests). */
  dataSource?: DataSource;
}

@Global()
@Module({})
class BundlesModule {
  static with(bundles: CompetitionBundles): DynamicModule {
    return { module: BundlesModule, providers: [{ provide: CompetitionBundles, useValue: bundles }], exports: [CompetitionBundles] };
  }
}

@Module({})
export class AppModule {
  static forRoot(o: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot(o.config, o.logger, o.dataSource),
        BundlesModule.with(o.bundles),
        EventsModule,
        HealthModule,
        AuthModule,
        CoursesModule,
        CompetitionsModule,
        SubmissionsModule,
        TeamsModule,
        NotificationsModule,
        LeaderboardsModule,
        UsersModule,
        OperationsModule,
      ],
    };
  }
}
