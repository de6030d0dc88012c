import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity.js';

@Entity('api_tokens')
export class ApiToken {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index('IDX_api_tokens_user') @Column('uuid') userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'user_id' }) user?: User;
  @Column('varchar', { length: 100 }) name!: string;
  /** HMAC-SHA256 of the token; the token is shown once, when created. */
  @Index('UQ_api_tokens_token_hash', { unique: true }) @Column('char', { length: 64 }) tokenHash!: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { nullable: true }) lastUsedAt!: Date | null;
  /** Set when revoked; a revoked token authenticates nothing. */
  @Column('timestamptz', { nullable: true }) revokedAt!: Date | null;
}
