import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { MetricName, RleOrder, ScoringErrorCode } from '@holdout/contracts';
import type { ScoringErrorCode as MetricsScoringErrorCode } from '@holdout/metrics';
import type { ScoreResult } from '@holdout/db';

export interface ScoreTask {
  id: string;
  metric: MetricName;
  rleOrder: RleOrder;
  solutionPath: string;
  submissionPath: string;
  /** Test hook: wait this long before scoring (HOLDOUT_TEST_SCORING_DELAY_MS). */
  delayMs?: number;
}

export interface SplitResult {
  score: number;
  images: number;
  interval: [number, number];
}
export interface ScoreOutcome {
  public: SplitResult | null;
  private: SplitResult | null;
  perImagePublic: Record<string, number>;
  perImagePrivate: Record<string, number>;
}

// The scorer's codes travel to clients as contracts' ScoringErrorCode: the two lists must agree
// (this fails to compile when libs/metrics adds or renames a code the contracts do not know).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const scorerCodesAgree: Same<MetricsScoringErrorCode | 'scoring_timeout', ScoringErrorCode> = true;
void scorerCodesAgree;

export type ScoreReply =
  | { kind: 'ready' }
  | { id: string; kind: 'scored'; result: ScoreOutcome }
  | { id: string; kind: 'rejected'; error: { code: ScoringErrorCode; message: string; row: number | null } }
  | { id: string; kind: 'error'; message: string };

/** The participant's file was rejected by the scorer: not retried, not charged. */
export class SubmissionRejected extends Error {
  constructor(
    readonly code: ScoringErrorCode,
    message: string,
    readonly row: number | null,
  ) {
    super(message);
  }
}

interface Job {
  resolve: (r: ScoreOutcome) => void;
  reject: (e: Error) => void;
  /** Stops the scoring when it runs past the pool's time limit. */
  timer?: NodeJS.Timeout;
}

/**
 * A fixed set of scoring threads; a thread that dies is replaced and its task fails (retried by
 * BullMQ). A task still running after `timeoutMs` fails with scoring_timeout (a rejection: not
 * retried, since the same file would take as long again) and its thread is replaced.
 */
export class ScorerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: { task: ScoreTask; resolve: (r: ScoreOutcome) => void; reject: (e: Error) => void }[] = [];
  private readonly busy = new Map<Worker, Job>();
  /** Every live thread, ready or still loading. */
  private readonly threads = new Set<Worker>();
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly timeoutMs = 120_000,
  ) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** Starts a thread; it takes work once it says it is ready (its modules loaded). */
  private spawn(): Worker {
    const w = new Worker(new URL('./scorer.thread.js', import.meta.url));
    this.threads.add(w);
    w.on('exit', () => this.threads.delete(w));
    w.on('message', (reply: ScoreReply) => {
      if (reply.kind === 'ready') {
        if (!this.closed) this.release(w);
        return;
      }
      const job = this.finish(w);
      if (job) {
        if (reply.kind === 'scored') job.resolve(reply.result);
        else if (reply.kind === 'rejected') job.reject(new SubmissionRejected(reply.error.code, reply.error.message, reply.error.row));
        else job.reject(new Error(reply.message));
      }
      this.release(w);
    });
    w.on('error', (err) => {
      this.finish(w)?.reject(err);
      if (!this.closed) this.spawn();
    });
    w.unref();
    return w;
  }

  /** The job `w` was running, no longer busy. */
  private finish(w: Worker): Job | undefined {
    const job = this.busy.get(w);
    this.busy.delete(w);
    clearTimeout(job?.timer);
    return job;
  }

  private timedOut(w: Worker): void {
    const job = this.finish(w);
    if (!job) return;
    const seconds = Math.round(this.timeoutMs / 100) / 10;
    job.reject(
      new SubmissionRejected(
        'scoring_timeout',
        `scoring was stopped after ${seconds} s: a submission of this competition's size scores in about a second, so this file is far larger or more fragmented (many tiny runs) than expected`,
        null,
      ),
    );
    w.removeAllListeners();
    w.on('error', () => {}); // whatever it says now, the thread is being stopped
    this.threads.delete(w);
    void w.terminate();
    if (!this.closed) this.spawn();
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) this.start(w, next);
    else this.idle.push(w);
  }

  private start(w: Worker, job: (typeof this.waiting)[number]): void {
    const timer = setTimeout(() => this.timedOut(w), this.timeoutMs);
    timer.unref();
    this.busy.set(w, { resolve: job.resolve, reject: job.reject, timer });
    w.postMessage(job.task);
  }

  score(task: Omit<ScoreTask, 'id'>): Promise<ScoreOutcome> {
    return new Promise((resolve, reject) => {
      const job = { task: { ...task, id: randomUUID() }, resolve, reject };
      const w = this.idle.pop();
      if (w) this.start(w, job);
      else this.waiting.push(job);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.threads].map((w) => w.terminate()));
  }
}

/** The scorer's outcome as the lifecycle records it. */
export function scoreResultOf(r: ScoreOutcome, solutionVersionId: string): ScoreResult {
  return {
    solutionVersionId,
    publicScore: r.public?.score ?? null,
    privateScore: r.private?.score ?? null,
    publicInterval: r.public?.interval ?? null,
    privateInterval: r.private?.interval ?? null,
    perImagePublic: r.perImagePublic,
    perImagePrivate: r.perImagePrivate,
  };
}
