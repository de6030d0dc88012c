import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@holdout/db';
import { DomainError } from '../../common/domain-error.js';
import { REDIS } from '../../infra/infra.module.js';

/** Failed sign-ins are counted in fixed windows of this length. */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

/**
 * Failed sign-ins counted in Redis, so every API replica sees the same counts: per client address
 * (password spraying across accounts) and per address and account (guessing one password). An
 * account is never locked for everyone: a stranger's failures do not keep its owner out. The
 * address is Express's `req.ip` under the configured `trust proxy` (loopback by default).
 */
@Injectable()
export class SignInThrottle {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private keys(ip: string, email: string): { key: string; limit: number; what: string }[] {
    const prefix = `${this.config.queuePrefix}:sign-in`;
    const account = createHash('sha256').update(email).digest('hex').slice(0, 32);
    const perIp = this.config.loginAttemptsPerIp;
    return [
      { key: `${prefix}:ip:${ip}`, limit: perIp, what: 'from your network address' },
      { key: `${prefix}:ip-account:${ip}:${account}`, limit: Math.max(3, Math.floor(perIp / 3)), what: 'for this account from your network address' },
    ];
  }

  /** Throws `too_many_attempts` (with the seconds to wait) when a counter has reached its limit. */
  async check(ip: string, email: string): Promise<void> {
    const keys = this.keys(ip, email);
    const pipeline = this.redis.multi();
    for (const k of keys) pipeline.get(k.key).pttl(k.key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((k, i) => {
      const count = Number(replies[2 * i]?.[1] ?? 0);
      const ttl = Number(replies[2 * i + 1]?.[1] ?? -1);
      if (count >= k.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((ttl > 0 ? ttl : SIGN_IN_WINDOW_MS) / 1000));
        throw new DomainError('too_many_attempts', `Too many failed sign-ins ${k.what}; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
      }
    });
  }

  async failed(ip: string, email: string): Promise<void> {
    const pipeline = this.redis.multi();
    for (const k of this.keys(ip, email)) pipeline.incr(k.key).pexpire(k.key, SIGN_IN_WINDOW_MS, 'NX');
    await pipeline.exec();
  }

  /** A correct password clears that account's count from that address (not the address's total). */
  async succeeded(ip: string, email: string): Promise<void> {
    await this.redis.del(this.keys(ip, email)[1]!.key);
  }
}
