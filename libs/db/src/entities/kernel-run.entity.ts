import type { KernelRunPhase } from '@holdout/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Submission } from './submission.entity.js';

// One execution of a kernel or model submission (a rerun gets a new row).
@Entity('kernel_runs')
@Check(CHECKS.kernelRunStep.name, CHECKS.kernelRunStep.expression)
@Check(CHECKS.kernelRunOutcome.name, CHECKS.kernelRunOutcome.expression)
@Check(CHECKS.kernelRunPhase.name, CHECKS.kernelRunPhase.expression)
// One row per attempt and phase: a redelivered job finds its run's row instead of adding one.
@Index('UQ_kernel_runs_submission_attempt_phase', ['submissionId', 'attempt', 'phase'], { unique: true })
export class KernelRun {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('IDX_kernel_runs_submission') @Column('uuid') submissionId!: string;
  @ManyToOne(() => Submission, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'submission_id' }) submission?: Submission;
  /** 1 for the first execution of the submission; a retry after a worker crash adds a row. */
  @Column('int', { default: 1 }) attempt!: number;
  /** `public`: over the public data only (the team sees its log and files); `hidden`: over the hidden test data. */
  @Column('varchar', { length: 8, default: 'hidden' }) phase!: KernelRunPhase;
  /** Last step reached (created, running, collected, scoring, done, …), so a restarted worker resumes or cleans up. */
  @Column('varchar', { length: 32, default: 'created' }) step!: string;
  /** Queue the run came from (`kernels` or `kernels-gpu`) and the GPU device it held, if any. */
  @Column('varchar', { length: 16, nullable: true }) queue!: string | null;
  @Column('varchar', { length: 64, nullable: true }) gpu!: string | null;
  /** The sandbox's outcome: succeeded, timeout, oom, exception, no-submission-file, cancelled, or lost (worker died). */
  @Column('varchar', { length: 32, nullable: true }) outcome!: string | null;
  @Column('text', { nullable: true }) message!: string | null;
  @Column('int', { nullable: true }) durationMs!: number | null;
  @Column('bigint', { nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  peakMemoryBytes!: number | null;
  /** Bytes the kernel printed (including what the cap dropped) and whether the stored log was cut. */
  @Column('bigint', { nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  logBytes!: number | null;
  @Column('boolean', { default: false }) logTruncated!: boolean;
  /** Runtime image pinned by digest. */
  @Column('varchar', { length: 255, nullable: true }) imageDigest!: string | null;
  @Column('varchar', { length: 128, nullable: true }) containerId!: string | null;
  @Column('varchar', { length: 128, nullable: true }) host!: string | null;
  @Column('int', { nullable: true }) exitCode!: number | null;
  /** Log file, relative to the artifact store. */
  @Column('varchar', { length: 1024, nullable: true }) logPath!: string | null;
  @Column('timestamptz', { nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { nullable: true }) finishedAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt!: Date;
}
