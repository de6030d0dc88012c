import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { User } from './user.entity.js';

// Something a user is told, in the app (the bell) and by e-mail unless they switched it off.
@Entity('notifications')
@Check(CHECKS.notificationEmail.name, CHECKS.notificationEmail.expression)
@Index('IDX_notifications_user_created', ['userId', 'createdAt'])
// The mail dispatcher's queue.
@Index('IDX_notifications_email_pending', ['createdAt'], { where: `"email_state" = 'pending'` })
export class Notification {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'user_id' }) user?: User;
  /** kernel-finished, kernel-failed, model-finished, model-failed, reveal, team-invite */
  @Column('varchar', { length: 32 }) kind!: string;
  @Column('varchar', { length: 300 }) title!: string;
  /** A path in the web app. */
  @Column('varchar', { length: 500 }) link!: string;
  @Column('timestamptz', { nullable: true }) readAt!: Date | null;
  /** pending, sent, skipped (the user switched e-mail off), failed */
  @Column('varchar', { length: 16, default: 'pending' }) emailState!: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
