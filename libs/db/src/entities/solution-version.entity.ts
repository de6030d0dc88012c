import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Competition } from './competition.entity.js';

@Entity('solution_versions')
@Index('UQ_solution_versions_competition_version', ['competitionId', 'version'], { unique: true })
export class SolutionVersion {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') competitionId!: string;
  @ManyToOne(() => Competition, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'competition_id' }) competition?: Competition;
  /** 1, 2, … per competition. */
  @Column('int') version!: number;
  /** Absolute path of the solution CSV on the host that recorded it (under its hidden data or its artifact store). */
  @Column('varchar', { length: 1024 }) path!: string;
  /** The artifact key of an uploaded solution (a rescore's); null for the one built from the bundle. */
  @Column('varchar', { length: 1024, nullable: true }) artifactKey!: string | null;
  /** sha256 of the file. */
  @Column('char', { length: 64 }) checksum!: string;
  @Column('varchar', { length: 500, nullable: true }) note!: string | null;
  @Column('uuid', { nullable: true }) createdById!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
