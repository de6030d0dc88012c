import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { z } from 'zod';
import type { TokenDto } from '@holdout/contracts';
import { ApiToken, APP_CONFIG, type AppConfig, Session, User } from '@holdout/db';
import { DomainError, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import type { Principal } from './principal.js';
import { SignInThrottle } from './sign-in-throttle.js';

export const registerSchema = z.strictObject({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(8, 'at least 8 characters').max(200),
  displayName: z.string().trim().min(1).max(120),
});
export const loginSchema = z.strictObject({ email: z.string().trim().toLowerCase().max(320), password: z.string().max(200) });
const tokenSchema = z.strictObject({ name: z.string().trim().min(1).max(100) });

// argon2id with the library's defaults (64 MiB, t=3): memory-hard.
const ARGON = { type: argon2.argon2id } as const;
// Principals are cached briefly so a leaderboard poll does not cost a database round trip;
// logout and revocation clear the local entry, other API replicas see it within this time.
const PRINCIPAL_TTL_MS = 5_000;

@Injectable()
export class AuthService {
  private readonly users: Repository<User>;
  private readonly sessions: Repository<Session>;
  private readonly tokens: Repository<ApiToken>;
  private readonly cache = new Map<string, { p: Principal | null; until: number }>();
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly throttle: SignInThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.users = ds.getRepository(User);
    this.sessions = ds.getRepository(Session);
    this.tokens = ds.getRepository(ApiToken);
  }

  hash(secret: string): string {
    return createHmac('sha256', this.config.sessionSecret).update(secret).digest('hex');
  }

  /** The CSRF token bound to a session cookie value (double-submit: cookie + header must match it). */
  csrfFor(sessionToken: string): string {
    return createHmac('sha256', this.config.sessionSecret).update(`csrf:${sessionToken}`).digest('base64url');
  }

  csrfValid(sessionToken: string, header: string | undefined): boolean {
    if (!header) return false;
    const a = Buffer.from(this.csrfFor(sessionToken));
    const b = Buffer.from(header);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async register(input: unknown): Promise<User> {
    const body = parseWith(registerSchema, input);
    const passwordHash = await argon2.hash(body.password, ARGON);
    // The first account on a fresh installation administers the site.
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['holdout:register']);
      if (await m.getRepository(User).exists({ where: { email: body.email } })) throw new DomainError('email_taken', 'an account with this email exists already');
      const isAdmin = (await m.getRepository(User).count()) === 0;
      return m.getRepository(User).save(m.getRepository(User).create({ email: body.email, displayName: body.displayName, passwordHash, isAdmin }));
    });
  }

  /** Checks an email and password from the client at `ip`; failures are throttled (SignInThrottle). */
  async verifyPassword(input: unknown, ip: string): Promise<User> {
    const body = parseWith(loginSchema, input);
    await this.throttle.check(ip, body.email);
    const user = await this.users.findOne({ where: { email: body.email } });
    // Same work whether or not the account exists, so timing does not reveal it.
    const hash = user?.passwordHash ?? (await (this.dummyHash ??= argon2.hash(randomBytes(16).toString('hex'), ARGON)));
    const ok = await argon2.verify(hash, body.password).catch(() => false);
    if (!user || !ok) {
      await this.throttle.failed(ip, body.email);
      throw new DomainError('invalid_credentials', 'wrong email or password');
    }
    await this.throttle.succeeded(ip, body.email);
    return user;
  }

  async createSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.sessionTtlMs);
    await this.sessions.insert({ userId, tokenHash: this.hash(token), expiresAt });
    return { token, expiresAt };
  }

  async endSession(token: string): Promise<void> {
    const h = this.hash(token);
    this.cache.delete(`s:${h}`);
    await this.sessions.delete({ tokenHash: h });
  }

  async fromSession(token: string): Promise<Principal | null> {
    const h = this.hash(token);
    return this.cached(`s:${h}`, async () => {
      const row = await this.ds.query(
        `SELECT s.id, u.id AS user_id, u.email, u.display_name, u.is_admin FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > now()`,
        [h],
      );
      if (!row[0]) return null;
      return { userId: row[0].user_id, email: row[0].email, displayName: row[0].display_name, isAdmin: row[0].is_admin, via: 'session', credentialId: row[0].id };
    });
  }

  async fromToken(token: string): Promise<Principal | null> {
    const h = this.hash(token);
    return this.cached(`t:${h}`, async () => {
      // last_used_at is bumped at most once a minute, not on every request.
      const row = await this.ds.query(
        `WITH t AS (SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL),
              bump AS (UPDATE api_tokens SET last_used_at = now() WHERE id IN (SELECT id FROM t) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
         SELECT t.id, u.id AS user_id, u.email, u.display_name, u.is_admin FROM t JOIN users u ON u.id = t.user_id`,
        [h],
      );
      if (!row[0]) return null;
      return { userId: row[0].user_id, email: row[0].email, displayName: row[0].display_name, isAdmin: row[0].is_admin, via: 'token', credentialId: row[0].id };
    });
  }

  async createToken(userId: string, input: unknown): Promise<TokenDto> {
    const { name } = parseWith(tokenSchema, input);
    const token = `hko_${randomBytes(32).toString('base64url')}`;
    const row = await this.tokens.save(this.tokens.create({ userId, name, tokenHash: this.hash(token), lastUsedAt: null, revokedAt: null }));
    return { ...toTokenDto(row), token };
  }

  async listTokens(userId: string): Promise<TokenDto[]> {
    const rows = await this.tokens.find({ where: { userId, revokedAt: IsNull() }, order: { createdAt: 'DESC' } });
    return rows.map(toTokenDto);
  }

  async revokeToken(userId: string, id: string): Promise<void> {
    const row = await this.tokens.findOne({ where: { id, userId, revokedAt: IsNull() } });
    if (!row) throw notFound('token');
    await this.tokens.update({ id }, { revokedAt: new Date() });
    this.cache.delete(`t:${row.tokenHash}`);
  }

  /** Drops this process's cached principals of a user's sessions (other replicas' expire within PRINCIPAL_TTL_MS). */
  forgetSessionsOf(userId: string): void {
    for (const [key, hit] of this.cache) if (key.startsWith('s:') && hit.p?.userId === userId) this.cache.delete(key);
  }

  private async cached(key: string, load: () => Promise<Principal | null>): Promise<Principal | null> {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.p;
    const p = await load();
    if (this.cache.size > 10_000) this.cache.clear();
    if (p) this.cache.set(key, { p, until: now + PRINCIPAL_TTL_MS });
    return p;
  }
}

function toTokenDto(t: ApiToken): TokenDto {
  return { id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null };
}
