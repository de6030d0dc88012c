import { Global, Inject, Injectable, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@holdout/db';
import { REDIS } from '../infra/infra.module.js';
import { DomainError } from './domain-error.js';

/** One limit: at most `limit` requests per `key` in each fixed window of `windowMs`. */
export interface RateRule {
  /** Names the counter in Redis (`<prefix>:rate:<name>:<key>`). */
  name: string;
  limit: number;
  windowMs: number;
  /** What is being counted, for the message: "Too many <what>; try again in N s." */
  what: string;
}

/** The limits taken from the configuration (HOLDOUT_UPLOADS_PER_MINUTE, HOLDOUT_AUTH_REQUESTS_PER_MINUTE). */
export const RATE_RULES = {
  /** Per account: submission files, kernels, models, bundles and rescoring solutions together. */
  uploads: (c: AppConfig): RateRule => ({ name: 'uploads', limit: c.rateLimits.uploadsPerMinute, windowMs: 60_000, what: 'uploads from your account' }),
  /** Per client address: new accounts (each costs an argon2 hash). */
  signUps: (c: AppConfig): RateRule => ({ name: 'sign-ups', limit: c.rateLimits.authPerMinute, windowMs: 60_000, what: 'sign-ups from your network address' }),
  /** Per account: API tokens created. */
  tokens: (c: AppConfig): RateRule => ({ name: 'tokens', limit: c.rateLimits.authPerMinute, windowMs: 60_000, what: 'API tokens created by your account' }),
} as const;

/**
 * Fixed-window request counters in Redis, so every API process and replica shares one count
 * (a limit per process would multiply by the number of replicas). Each request is counted when
 * it arrives, refused or not, so a client that keeps hammering stays refused until the window ends.
 *
 * Hand-written rather than @nestjs/throttler: the limits here are per account (known only after
 * the AuthGuard) on routes whose modules own their controllers, checked from the upload
 * interceptor; the Redis storage packages for @nestjs/throttler declare NestJS ≤ 11; and the
 * refusal must be the API's own error shape. It is the same INCR + PEXPIRE NX as SignInThrottle.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Counts one request of `key` under `rule`; throws `too_many_attempts` (429, `Retry-After`,
   * `details.retryAfterSeconds`) when the window already holds `rule.limit` of them.
   */
  async take(rule: RateRule, key: string): Promise<void> {
    const k = `${this.config.queuePrefix}:rate:${rule.name}:${key}`;
    const replies = (await this.redis.multi().incr(k).pexpire(k, rule.windowMs, 'NX').pttl(k).exec()) ?? [];
    const count = Number(replies[0]?.[1] ?? 0);
    if (count <= rule.limit) return;
    const ttl = Number(replies[2]?.[1] ?? -1);
    const retryAfterSeconds = Math.max(1, Math.ceil((ttl > 0 ? ttl : rule.windowMs) / 1000));
    throw new DomainError('too_many_attempts', `Too many ${rule.what} (at most ${rule.limit} in ${Math.round(rule.windowMs / 1000)} s); try again in ${retryAfterSeconds} s.`, {
      retryAfterSeconds,
      limit: rule.limit,
      windowSeconds: Math.round(rule.windowMs / 1000),
    });
  }
}

/** RateLimiter for every module (the upload interceptors of competitions and submissions, auth); imported once, by AuthModule. */
@Global()
@Module({ providers: [RateLimiter], exports: [RateLimiter] })
export class RateLimitModule {}
