import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// Append-only record of consequential actions (rescore, close, reveal, role changes).
@Entity('audit_events')
@Index('IDX_audit_events_competition_at', ['competitionId', 'at'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @CreateDateColumn({ type: 'timestamptz' }) at!: Date;
  /** Null for the system (scheduled reveal, reconciler). */
  @Column('uuid', { nullable: true }) actorId!: string | null;
  /** e.g. competition.rescore, competition.close, competition.reveal */
  @Column('varchar', { length: 64 }) action!: string;
  @Column('uuid', { nullable: true }) competitionId!: string | null;
  @Column('varchar', { length: 32, nullable: true }) subjectType!: string | null;
  @Column('varchar', { length: 64, nullable: true }) subjectId!: string | null;
  @Column('jsonb', { default: {} }) data!: Record<string, unknown>;
}
