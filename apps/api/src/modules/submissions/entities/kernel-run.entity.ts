import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Submission } from './submission.entity.js';

// One execution of a kernel or model submission (a rerun gets a new row).
@Entity('kernel_runs')
export class KernelRun {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('IDX_kernel_runs_submission') @Column('uuid') submissionId!: string;
  @ManyToOne(() => Submission, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'submission_id' }) submission?: Submission;
  /** Last step reached (pulled, started, collected, …), so a restarted worker resumes or cleans up. */
  @Column('varchar', { length: 32, default: 'created' }) step!: string;
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
