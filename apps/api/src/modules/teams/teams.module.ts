import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CompetitionsModule } from '../competitions/competitions.module.js';
import { Disqualifications } from './disqualifications.service.js';
import { StaffTeamsController } from './staff-teams.controller.js';
import { TeamsController } from './teams.controller.js';
import { TeamsService } from './teams.service.js';

@Module({ imports: [AuditModule, CompetitionsModule], controllers: [TeamsController, StaffTeamsController], providers: [TeamsService, Disqualifications] })
export class TeamsModule {}
