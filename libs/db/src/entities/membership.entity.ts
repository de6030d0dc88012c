import type { Role } from '@holdout/contracts';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { User } from './user.entity.js';
import { Course } from './course.entity.js';

@Entity('memberships')
@Check(CHECKS.membershipRole.name, CHECKS.membershipRole.expression)
@Index('UQ_memberships_course_user', ['courseId', 'userId'], { unique: true })
export class Membership {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') courseId!: string;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'course_id' }) course?: Course;
  @Index('IDX_memberships_user') @Column('uuid') userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'user_id' }) user?: User;
  /** instructor | ta | student */
  @Column('varchar', { length: 16 }) role!: Role;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
