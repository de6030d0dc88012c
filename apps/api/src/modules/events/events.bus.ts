import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Subject, type Observable, filter } from 'rxjs';
import { APP_CONFIG, type AppConfig, type BundleCheckEvent, channels, type CompetitionEvent, JsonLogger, type SubmissionEvent } from '@holdout/db';

/**
 * Not from Redis: the subscription was lost (Redis restarted, the network dropped) and is back.
 * Whatever was published meanwhile is gone, so every listener reads its state again (a stream
 * renders its submission, a cache drops what it holds).
 */
export interface ResyncEvent {
  type: 'resync';
}

export type BusEvent = CompetitionEvent | SubmissionEvent | BundleCheckEvent | ResyncEvent;

/**
 * One Redis subscription per API process, fanned out to in-process listeners (SSE, caches). Redis
 * pub/sub keeps nothing for a subscriber that was away: after a reconnect the bus emits `resync`.
 */
@Injectable()
export class EventsBus implements OnModuleInit, OnApplicationShutdown {
  private readonly subject = new Subject<BusEvent>();
  private sub: Redis | null = null;
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    // Subscribed by hand on every connection (not ioredis's autoResubscribe), so that `resync`
    // goes out only once the subscription is back: nothing published after it is missed.
    const sub = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null, autoResubscribe: false, connectionName: `holdout-events:${this.config.queuePrefix}` });
    this.sub = sub;
    sub.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      try {
        this.subject.next(JSON.parse(message) as BusEvent);
      } catch {
        this.logger.write('warn', 'ignored a malformed event', { message: message.slice(0, 200) });
      }
    });
    const pattern = channels.pattern(this.config.queuePrefix);
    await sub.psubscribe(pattern);
    let connected = true;
    sub.on('close', () => {
      if (connected && !this.closing) this.logger.write('warn', 'event subscription lost; reconnecting', {});
      connected = false;
    });
    sub.on('ready', () => {
      if (connected) return;
      void sub.psubscribe(pattern).then(
        () => {
          connected = true;
          this.logger.write('info', 'event subscription back; listeners read their state again', {});
          this.subject.next({ type: 'resync' });
        },
        () => undefined, // the connection went again: the next 'ready' subscribes
      );
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.subject.complete();
    await this.sub?.quit().catch(() => undefined);
  }

  /** A competition's board changed (or may have: `resync`). */
  competition(competitionId: string): Observable<CompetitionEvent | ResyncEvent> {
    return this.subject.pipe(filter((e): e is CompetitionEvent | ResyncEvent => e.type === 'resync' || (e.type === 'leaderboard' && e.competitionId === competitionId)));
  }

  /** A submission changed (or may have: `resync`). */
  submission(submissionId: string): Observable<SubmissionEvent | ResyncEvent> {
    return this.subject.pipe(filter((e): e is SubmissionEvent | ResyncEvent => e.type === 'resync' || (e.type === 'submission' && e.submissionId === submissionId)));
  }

  /** A bundle check's progress, only for the user who uploaded the bundle. */
  bundleCheck(checkId: string, userId: string): Observable<BundleCheckEvent> {
    return this.subject.pipe(filter((e): e is BundleCheckEvent => e.type === 'bundle-check' && e.checkId === checkId && e.userId === userId));
  }

  all(): Observable<BusEvent> {
    return this.subject.asObservable();
  }
}
