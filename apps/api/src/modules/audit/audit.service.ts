import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEvent } from '@holdout/db';

export interface AuditInput {
  actorId: string | null;
  action: string;
  competitionId?: string | null;
  subjectType?: string;
  subjectId?: string;
  data?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(private readonly ds: DataSource) {}

  /** Records an event; pass the transaction's manager to make it part of the change it describes. */
  async record(e: AuditInput, m: EntityManager = this.ds.manager): Promise<void> {
    await m.getRepository(AuditEvent).insert({
      actorId: e.actorId,
      action: e.action,
      competitionId: e.competitionId ?? null,
      subjectType: e.subjectType ?? null,
      subjectId: e.subjectId ?? null,
      data: (e.data ?? {}) as never,
    });
  }
}
