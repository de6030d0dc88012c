import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CHECKS } from '../checks.js';
import { Team } from './team.entity.js';

// A team asks another to merge into it (by the other's name); the other team accepts or declines.
@Entity('team_invites')
@Check(CHECKS.teamInviteStatus.name, CHECKS.teamInviteStatus.expression)
// At most one pending invite between two teams.
@Index('UQ_team_invites_pending', ['fromTeamId', 'toTeamId'], { unique: true, where: `"status" = 'pending'` })
export class TeamInvite {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') competitionId!: string;
  @Column('uuid') fromTeamId!: string;
  @ManyToOne(() => Team, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'from_team_id' }) fromTeam?: Team;
  @Index('IDX_team_invites_to') @Column('uuid') toTeamId!: string;
  @ManyToOne(() => Team, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'to_team_id' }) toTeam?: Team;
  /** pending, accepted, declined, cancelled */
  @Column('varchar', { length: 16, default: 'pending' }) status!: 'pending' | 'accepted' | 'declined' | 'cancelled';
  @Column('uuid', { nullable: true }) createdById!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { nullable: true }) answeredAt!: Date | null;
}
