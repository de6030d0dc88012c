import type { FailureClass, KernelRunPhase, SubmissionErrorCode, SubmissionKind, SubmissionStatus } from '@holdout/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Competition } from './competition.entity.js';
import { SolutionVersion } from './solution-version.entity.js';
import { Team } from './team.entity.js';
import { User } from './user.entity.js';

export type Interval = [number, number];

@Entity('submissions')
@Check(CHECKS.submissionStatus.name, CHECKS.submissionStatus.expression)
@Check(CHECKS.submissionKind.name, CHECKS.submissionKind.expression)
@Check(CHECKS.submissionErrorClass.name, CHECKS.submissionErrorClass.expression)
@Check(CHECKS.submissionRunPhase.name, CHECKS.submissionRunPhase.expression)
// Daily quota and "my submissions": a team's submissions by time.
@Index('IDX_submissions_team_created', ['teamId', 'createdAt'])
// Leaderboards read only ranked candidates: scored, on time.
@Index('IDX_submissions_board', ['competitionId', 'teamId', 'publicScore', 'createdAt'], { where: `"status" = 'scored' AND "late" = false` })
// The reconciler looks for unfinished work.
@Index('IDX_submissions_unfinished', ['status', 'updatedAt'], { where: `"status" IN ('queued', 'running', 'scoring')` })
export class Submission {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') competitionId!: string;
  @ManyToOne(() => Competition, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'competition_id' }) competition?: Competition;
  @Column('uuid') teamId!: string;
  @ManyToOne(() => Team, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'team_id' }) team?: Team;
  /** Who uploaded it. */
  @Column('uuid', { nullable: true }) userId!: string | null;
  @ManyToOne(() => User, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'user_id' }) user?: User;
  /** file | kernel | model */
  @Column('varchar', { length: 16 }) kind!: SubmissionKind;
  /** queued → scoring (file) or running (kernel/model) → scored | failed | cancelled */
  @Column('varchar', { length: 16, default: 'queued' }) status!: SubmissionStatus;
  @Column('varchar', { length: 1000, nullable: true }) description!: string | null;
  /** The participant's own cross-validation score, as they reported it. */
  @Column('double precision', { nullable: true }) cvScore!: number | null;
  @Column('varchar', { length: 255, nullable: true }) fileName!: string | null;
  /** Uploaded artifact (prediction CSV, kernel source or model), relative to the artifact store. */
  @Column('varchar', { length: 1024, nullable: true }) artifactPath!: string | null;
  /** sha256 of the uploaded artifact. */
  @Column('char', { length: 64, nullable: true }) checksum!: string | null;
  @Column('bigint', { nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  sizeBytes!: number | null;
  /** Solution version the current scores were computed against. */
  @Column('uuid', { nullable: true }) solutionVersionId!: string | null;
  @ManyToOne(() => SolutionVersion, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'solution_version_id' }) solutionVersion?: SolutionVersion;
  @Column('double precision', { nullable: true }) publicScore!: number | null;
  /** Never leaves the server before the reveal. */
  @Column('double precision', { nullable: true }) privateScore!: number | null;
  /** 95 % bootstrap intervals, when the scorer reports them. */
  @Column('jsonb', { nullable: true }) publicInterval!: Interval | null;
  @Column('jsonb', { nullable: true }) privateInterval!: Interval | null;
  /** Per-image scores of public images only. */
  @Column('jsonb', { nullable: true }) perImagePublic!: Record<string, number> | null;
  /** Per-image scores of private images; shown only after the reveal. */
  @Column('jsonb', { nullable: true }) perImagePrivate!: Record<string, number> | null;
  @Column('varchar', { length: 32, nullable: true }) errorClass!: FailureClass | null;
  @Column('varchar', { length: 64, nullable: true }) errorCode!: SubmissionErrorCode | null;
  @Column('text', { nullable: true }) errorMessage!: string | null;
  @Column('int', { nullable: true }) errorRow!: number | null;
  /** Submitted after closesAt: scored and shown to its owner, never ranked. */
  @Column('boolean', { default: false }) late!: boolean;
  /** Chosen by the team as a final submission for the private leaderboard. */
  @Column('boolean', { default: false }) selected!: boolean;
  /** Scoring attempts started (a restarted worker increments it). */
  @Column('int', { default: 0 }) attempts!: number;
  /** Times staff ran it again after it failed on our side (each gives a fresh set of attempts). */
  @Column('int', { default: 0 }) retries!: number;
  /** Kernels: the run it is in or ended in (`public`, then `hidden`); a failure in the public run is not charged. */
  @Column('varchar', { length: 8, nullable: true }) runPhase!: KernelRunPhase | null;
  /** Kernels: "run without submitting" — the public run only; ends `complete`, never scored or charged. */
  @Column('boolean', { default: false }) runOnly!: boolean;
  /** Disqualified by an instructor (never ranked), with the reason its team is shown. */
  @Column('timestamptz', { nullable: true }) disqualifiedAt!: Date | null;
  @Column('text', { nullable: true }) disqualifiedReason!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt!: Date;
  @Column('timestamptz', { nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { nullable: true }) scoredAt!: Date | null;
}
