import { Module } from '@nestjs/common';
import { CompetitionsModule } from '../competitions/competitions.module.js';
import { GradesController, GradesService } from './grades.js';
import { LeaderboardsController } from './leaderboards.controller.js';
import { LeaderboardsRepository } from './leaderboards.repository.js';
import { LeaderboardsService } from './leaderboards.service.js';

@Module({ imports: [CompetitionsModule], controllers: [LeaderboardsController, GradesController], providers: [LeaderboardsService, LeaderboardsRepository, GradesService] })
export class LeaderboardsModule {}
