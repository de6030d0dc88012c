import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Submission } from './submission.entity.js';

/**
 * One execution of a model submission by a worker (a worker that died mid-run leaves its row
 * `lost`; the next attempt adds one). Written only by the worker's ModelRunService.
 */
@Entity('model_runs')
@Check(CHECKS.modelRunOutcome.name, CHECKS.modelRunOutcome.expression)
@Index('UQ_model_runs_submission_attempt', ['submissionId', 'attempt'], { unique: true })
export class ModelRun {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('IDX_model_runs_submission') @Column('uuid') submissionId!: string;
  @ManyToOne(() => Submission, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'submission_id' }) submission?: Submission;
  @Column('int', { default: 1 }) attempt!: number;
  /** succeeded, timeout, invalid-output (NaN or a wrong shape), cancelled, lost (its worker stopped), error (ours); null while it runs. */
  @Column('varchar', { length: 32, nullable: true }) outcome!: string | null;
  @Column('text', { nullable: true }) message!: string | null;
  /** Test images done and in all, and windows done and in all within the current image (progress). */
  @Column('int', { default: 0 }) imagesDone!: number;
  @Column('int', { nullable: true }) imagesTotal!: number | null;
  @Column('int', { default: 0 }) windowsDone!: number;
  @Column('int', { nullable: true }) windowsTotal!: number | null;
  /** The predictions it wrote (submission CSV), relative to the artifact store: what is scored, and rescored. */
  @Column('varchar', { length: 1024, nullable: true }) outputPath!: string | null;
  /** What the validator read of the model (inputs, outputs, operators, opsets, initializer bytes). */
  @Column('jsonb', { nullable: true }) modelInfo!: Record<string, unknown> | null;
  @Column('varchar', { length: 128, nullable: true }) host!: string | null;
  @Column('int', { nullable: true }) durationMs!: number | null;
  @Column('timestamptz', { nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { nullable: true }) finishedAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt!: Date;
}
