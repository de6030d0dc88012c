import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Competition } from './competition.entity.js';
import { Course } from './course.entity.js';

// Instructor overrides of the kernel defaults, for one competition or one course (exactly one
// of the two is set). A competition's row wins over its course's row, which wins over the env.
@Entity('kernel_policies')
export class KernelPolicy {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('UQ_kernel_policies_competition', { unique: true }) @Column('uuid', { nullable: true }) competitionId!: string | null;
  @ManyToOne(() => Competition, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'competition_id' }) competition?: Competition;
  @Index('UQ_kernel_policies_course', { unique: true }) @Column('uuid', { nullable: true }) courseId!: string | null;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'course_id' }) course?: Course;
  /** Weekly GPU budget of a team in hours; null = inherit. */
  @Column('double precision', { nullable: true }) gpuHoursPerWeek!: number | null;
  /** GPU-requesting kernels run on CPU workers (a course without GPUs); null = inherit (false). */
  @Column('boolean', { nullable: true }) cpuFallback!: boolean | null;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt!: Date;
}
