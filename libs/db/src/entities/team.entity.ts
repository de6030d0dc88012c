import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Competition } from './competition.entity.js';

// A team per student per competition by default; the team row is also the lock that makes
// the daily quota check and the submission insert atomic.
@Entity('teams')
@Index('UQ_teams_invite_code', ['inviteCode'], { unique: true, where: '"invite_code" IS NOT NULL' })
export class Team {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('IDX_teams_competition') @Column('uuid') competitionId!: string;
  @ManyToOne(() => Competition, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'competition_id' }) competition?: Competition;
  @Column('varchar', { length: 120 }) name!: string;
  /** The secret of the team's invite link (whoever opens it may merge their team into this one); null until asked for. */
  @Column('varchar', { length: 64, nullable: true }) inviteCode!: string | null;
  /** Disqualified by an instructor (off the boards and the shake-up), with the reason the team is shown. */
  @Column('timestamptz', { nullable: true }) disqualifiedAt!: Date | null;
  @Column('text', { nullable: true }) disqualifiedReason!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
