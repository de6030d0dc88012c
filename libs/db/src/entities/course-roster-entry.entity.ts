import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Course } from './course.entity.js';

// An address on a course's imported roster: its account joins the course when it signs up.
@Entity('course_roster')
@Check(CHECKS.rosterRole.name, CHECKS.rosterRole.expression)
@Index('UQ_course_roster_course_email', ['courseId', 'email'], { unique: true })
export class CourseRosterEntry {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') courseId!: string;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'course_id' }) course?: Course;
  /** Lower-case. */
  @Index('IDX_course_roster_email') @Column('varchar', { length: 320 }) email!: string;
  @Column('varchar', { length: 16, default: 'student' }) role!: 'student' | 'ta';
  @Column('uuid', { nullable: true }) addedById!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
