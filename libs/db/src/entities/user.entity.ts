import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Stored lower-cased; unique. */
  @Index('UQ_users_email', { unique: true })
  @Column('varchar', { length: 320 })
  email!: string;
  @Column('varchar', { length: 120 }) displayName!: string;
  /** argon2id PHC string. */
  @Column('varchar', { length: 255 }) passwordHash!: string;
  /** Site administrator: sees and manages every course. */
  @Column('boolean', { default: false }) isAdmin!: boolean;
  /** An admin approved this user to open courses (needed unless HOLDOUT_COURSE_CREATION=anyone). */
  @Column('boolean', { default: false }) canCreateCourses!: boolean;
  /** Notifications also by e-mail (the user may switch it off; the bell stays). */
  @Column('boolean', { default: true }) emailNotifications!: boolean;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
