import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Competition } from './competition.entity.js';
import { User } from './user.entity.js';
import { Team } from './team.entity.js';

@Entity('team_members')
// One team per user per competition.
@Index('UQ_team_members_competition_user', ['competitionId', 'userId'], { unique: true })
export class TeamMember {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('IDX_team_members_team') @Column('uuid') teamId!: string;
  @ManyToOne(() => Team, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'team_id' }) team?: Team;
  @Column('uuid') competitionId!: string;
  @ManyToOne(() => Competition, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'competition_id' }) competition?: Competition;
  @Column('uuid') userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'user_id' }) user?: User;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
