import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Subject, type Observable, filter } from 'rxjs';
import { APP_CONFIG, type AppConfig, type BundleCheckEvent, channels, type CompetitionEvent, JsonLogger, type SubmissionEvent } from '@holdout/db';

type BusEvent = CompetitionEvent | SubmissionEvent | BundleCheckEvent;

/** One Redis subscription per API process, fanned out to in-process listeners (SSE, caches). */
@Injectable()
export class EventsBus implements OnModuleInit, OnApplicationShutdown {
  private readonly subject = new Subject<BusEvent>();
  private sub: Redis | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.sub = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    this.sub.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      try {
        this.subject.next(JSON.parse(message) as BusEvent);
      } catch {
        this.logger.write('warn', 'ignored a malformed event', { message: message.slice(0, 200) });
      }
    });
    await this.sub.psubscribe(channels.pattern(this.config.queuePrefix));
  }

  async onApplicationShutdown(): Promise<void> {
    this.subject.complete();
    await this.sub?.quit().catch(() => undefined);
  }

  competition(competitionId: string): Observable<CompetitionEvent> {
    return this.subject.pipe(filter((e): e is CompetitionEvent => e.type === 'leaderboard' && e.competitionId === competitionId));
  }

  submission(submissionId: string): Observable<SubmissionEvent> {
    return this.subject.pipe(filter((e): e is SubmissionEvent => e.type === 'submission' && e.submissionId === submissionId));
  }

  /** A bundle check's progress, only for the user who uploaded the bundle. */
  bundleCheck(checkId: string, userId: string): Observable<BundleCheckEvent> {
    return this.subject.pipe(filter((e): e is BundleCheckEvent => e.type === 'bundle-check' && e.checkId === checkId && e.userId === userId));
  }

  all(): Observable<BusEvent> {
    return this.subject.asObservable();
  }
}
