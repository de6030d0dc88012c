import { Check, Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Submission } from './submission.entity.js';

/** A file the student attached to a kernel (stored in the artifact store). */
export interface KernelAttachment {
  /** File name inside `/kaggle/input/<dataset>/`. */
  name: string;
  /** Artifact store key. */
  key: string;
  size: number;
  sha256: string;
}

// What a kernel submission asks to run: one row per kernel submission, written with it.
@Entity('kernel_submissions')
@Check(CHECKS.kernelEntryKind.name, CHECKS.kernelEntryKind.expression)
export class KernelSubmission {
  @PrimaryColumn('uuid') submissionId!: string;
  @OneToOne(() => Submission, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'submission_id' }) submission?: Submission;
  /** `py` or `ipynb`. */
  @Column('varchar', { length: 8 }) entryKind!: 'py' | 'ipynb';
  /** Name of the attached dataset, mounted at `/kaggle/input/<datasetName>/`; null without attachments. */
  @Column('varchar', { length: 128, nullable: true }) datasetName!: string | null;
  @Column('jsonb', { default: () => `'[]'` }) attachments!: KernelAttachment[];
  /** Asked for a GPU (the competition's `kernel.gpus` > 0 and no CPU fallback applied). */
  @Column('boolean') gpu!: boolean;
  /** Queue it was routed to: `kernels` or `kernels-gpu`. */
  @Column('varchar', { length: 16 }) queue!: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
