import type { CompetitionPagesDto, MetricName, RleOrder, SubmissionKind } from '@holdout/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Course } from './course.entity.js';

export type Visibility = 'course' | 'public';
export type DataStatus = 'pending' | 'ready' | 'failed';

@Entity('competitions')
@Check(CHECKS.competitionDataStatus.name, CHECKS.competitionDataStatus.expression)
export class Competition {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('UQ_competitions_slug', { unique: true }) @Column('varchar', { length: 100 }) slug!: string;
  @Index('IDX_competitions_course') @Column('uuid', { nullable: true }) courseId!: string | null;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'course_id' }) course?: Course;
  /** `course`: members of its course only; `public`: anyone signed in. */
  @Column('varchar', { length: 16, default: 'course' }) visibility!: Visibility;
  @Column('varchar', { length: 200 }) title!: string;
  @Column('varchar', { length: 32 }) metric!: MetricName;
  @Column('varchar', { length: 8 }) rleOrder!: RleOrder;
  @Column('text', { array: true }) submissionKinds!: SubmissionKind[];
  @Column('timestamptz') opensAt!: Date;
  @Column('timestamptz', { nullable: true }) teamMergeDeadline!: Date | null;
  /** Submissions after this are late: scored, shown to their owner, never ranked. */
  @Column('timestamptz') closesAt!: Date;
  @Column('int') dailySubmissions!: number;
  @Column('int') finalSelections!: number;
  /** The bundle's competition.yaml as loaded (metric options, kernel and model settings …), plus `dataScale` (HOLDOUT_DATA_SCALE at creation). */
  @Column('jsonb') config!: Record<string, unknown>;
  @Column('jsonb') pages!: CompetitionPagesDto;
  /** Bundle the competition was created from (bundled slug directory or an unpacked upload). */
  @Column('varchar', { length: 1024 }) bundleDir!: string;
  /** An uploaded bundle's copy in a remote artifact store (a key prefix ending with `/`), for hosts without `bundleDir`; null otherwise. */
  @Column('varchar', { length: 1024, nullable: true }) bundleKey!: string | null;
  /** Root of the built data (manifest, public/, hidden/); null until the data is built. */
  @Column('varchar', { length: 1024, nullable: true }) dataDir!: string | null;
  /** The downloadable files (usually `<dataDir>/public`); null until the data is built. */
  @Column('varchar', { length: 1024, nullable: true }) publicDir!: string | null;
  @Column('varchar', { length: 16, default: 'pending' }) dataStatus!: DataStatus;
  /** Solution version new submissions are scored against. */
  @Column('uuid', { nullable: true }) currentSolutionVersionId!: string | null;
  /** Set when the private leaderboard is revealed (at closesAt, or when an instructor closes early). */
  @Column('timestamptz', { nullable: true }) revealedAt!: Date | null;
  @Column('uuid', { nullable: true }) createdById!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
