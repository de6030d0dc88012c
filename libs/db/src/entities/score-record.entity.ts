import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SolutionVersion } from './solution-version.entity.js';
import type { Interval } from './submission.entity.js';
import { Submission } from './submission.entity.js';

// Score history: one row per (submission, solution version, scoring run). Rescoring adds rows;
// nothing is overwritten, so earlier scores stay auditable.
@Entity('score_records')
@Index('UQ_score_records_run', ['submissionId', 'solutionVersionId', 'run'], { unique: true })
export class ScoreRecord {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') submissionId!: string;
  @ManyToOne(() => Submission, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'submission_id' }) submission?: Submission;
  @Index('IDX_score_records_solution_version') @Column('uuid') solutionVersionId!: string;
  @ManyToOne(() => SolutionVersion, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'solution_version_id' }) solutionVersion?: SolutionVersion;
  /** `initial`, or the id of the rescore run that produced it. */
  @Column('varchar', { length: 64 }) run!: string;
  @Column('double precision', { nullable: true }) publicScore!: number | null;
  @Column('double precision', { nullable: true }) privateScore!: number | null;
  @Column('jsonb', { nullable: true }) publicInterval!: Interval | null;
  @Column('jsonb', { nullable: true }) privateInterval!: Interval | null;
  @Column('varchar', { length: 64, nullable: true }) errorCode!: string | null;
  @Column('text', { nullable: true }) errorMessage!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
