import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity.js';

@Entity('courses')
export class Course {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('varchar', { length: 200 }) name!: string;
  /** What students type to join; unique, case-insensitive (stored upper-case); null once revoked. */
  @Index('UQ_courses_join_code', { unique: true }) @Column('varchar', { length: 16, nullable: true }) joinCode!: string | null;
  /** The join code stops working at this time (null: never). */
  @Column('timestamptz', { nullable: true }) joinCodeExpiresAt!: Date | null;
  @Column('uuid', { nullable: true }) createdById!: string | null;
  @ManyToOne(() => User, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'created_by_id' }) createdBy?: User;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
