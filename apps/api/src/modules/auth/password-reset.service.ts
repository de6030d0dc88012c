import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, JsonLogger, User } from '@holdout/db';
import { DomainError } from '../../common/domain-error.js';
import { RateLimiter, type RateRule } from '../../common/rate-limit.js';
import { parseWith } from '../../common/zod-body.js';
import { REDIS } from '../../infra/infra.module.js';
import { AuthService } from './auth.service.js';
import { Mailer } from './mailer.js';

/** A reset link works for this long, and once: it is bound to the password it replaces. */
export const RESET_LINK_TTL_MS = 60 * 60_000;
/** Reset requests counted per client address and per account in fixed windows of this length. */
const WINDOW_MS = 15 * 60_000;
const PER_IP: RateRule = { name: 'password-reset-ip', limit: 10, windowMs: WINDOW_MS, what: 'password-reset requests from your network address' };
const PER_ACCOUNT = 3;

const requestSchema = z.strictObject({ email: z.string().trim().toLowerCase().email().max(320) });
const confirmSchema = z.strictObject({ token: z.string().min(10).max(500), password: z.string().min(8, 'at least 8 characters').max(200) });

/**
 * "Forgot your password": a signed link that expires, sent through the mail transport.
 *
 * The link's token is `<user id>.<expiry>.<HMAC of both and the current password hash>` under
 * the session secret: nothing is stored, it stops working at its expiry, and once the password
 * changes (this reset or any other) it no longer verifies. A request answers the same whether or
 * not the account exists (no account discovery), and the mail goes out after the answer.
 * Requests are limited per address (429) and, silently, per account (no mail flood).
 * A reset ends every session of the account; its API tokens stay (they are revoked one by one).
 */
@Injectable()
export class PasswordResets {
  constructor(
    private readonly ds: DataSource,
    private readonly auth: AuthService,
    private readonly mailer: Mailer,
    private readonly logger: JsonLogger,
    private readonly limiter: RateLimiter,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async request(input: unknown, ip: string): Promise<void> {
    const { email } = parseWith(requestSchema, input);
    await this.limiter.take(PER_IP, ip);
    if ((await this.count(`${this.config.queuePrefix}:password-reset:account:${this.auth.hash(email)}`)) > PER_ACCOUNT) return;
    const user = await this.ds.getRepository(User).findOne({ where: { email } });
    if (!user) return;
    const link = `${this.config.webUrl}/reset-password?token=${encodeURIComponent(this.tokenFor(user, Date.now() + RESET_LINK_TTL_MS))}`;
    const text = `Someone (we hope you) asked to reset the password of your Holdout account ${email}.\n\nChoose a new password here within ${RESET_LINK_TTL_MS / 60_000} minutes:\n${link}\n\nThe link works once. If you did not ask, ignore this message: your password stays as it is.\n`;
    // After the answer: its timing must not tell whether the account exists.
    setImmediate(() => {
      this.mailer.send({ to: email, subject: 'Reset your Holdout password', text }).catch((err: unknown) => this.logger.write('error', 'password-reset mail not sent', { err: String(err) }));
    });
  }

  /** Sets the new password when the token is valid; ends the account's sessions. */
  async confirm(input: unknown): Promise<void> {
    const body = parseWith(confirmSchema, input);
    const invalid = new DomainError('bad_request', 'this password-reset link is invalid, used already or expired; ask for a new one');
    const [userId, expires, signature] = body.token.split('.');
    if (!userId || !expires || !signature || !/^[0-9a-f-]{36}$/.test(userId) || !/^\d+$/.test(expires) || Number(expires) < Date.now()) throw invalid;
    const user = await this.ds.getRepository(User).findOne({ where: { id: userId } });
    if (!user) throw invalid;
    const expected = Buffer.from(this.tokenFor(user, Number(expires)));
    const given = Buffer.from(body.token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
    const passwordHash = await argon2.hash(body.password, { type: argon2.argon2id });
    await this.ds.transaction(async (m) => {
      // Only if the password is still the one the link was made for (two tabs, one link).
      const [rows] = (await m.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3 RETURNING id', [user.id, passwordHash, user.passwordHash])) as [unknown[], number];
      if (rows.length === 0) throw invalid;
      await m.query('DELETE FROM sessions WHERE user_id = $1', [user.id]);
    });
    this.auth.forgetSessionsOf(user.id);
    this.logger.write('info', 'password reset', { userId: user.id });
  }

  private tokenFor(user: Pick<User, 'id' | 'passwordHash'>, expires: number): string {
    const mac = createHmac('sha256', this.config.sessionSecret).update(`password-reset:${user.id}:${expires}:${user.passwordHash}`).digest('base64url');
    return `${user.id}.${expires}.${mac}`;
  }

  private async count(key: string): Promise<number> {
    const [[, n]] = ((await this.redis.multi().incr(key).pexpire(key, WINDOW_MS, 'NX').exec()) ?? [[null, 0]]) as [[unknown, number], ...unknown[]];
    return Number(n);
  }
}
