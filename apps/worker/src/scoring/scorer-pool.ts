import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { MetricName, RleOrder } from '@holdout/contracts';

export interface ScoreTask {
  id: string;
  metric: MetricName;
  rleOrder: RleOrder;
  solutionPath: string;
  solutionChecksum: string;
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

export type ScoreReply =
  | { id: string; kind: 'scored'; result: ScoreOutcome }
  | { id: string; kind: 'rejected'; error: { code: string; message: string; row: number | null } }
  | { id: string; kind: 'error'; message: string };

/** The participant's file was rejected by the scorer: not retried, not charged. */
export class SubmissionRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly row: number | null,
  ) {
    super(message);
  }
}

/** A fixed set of scoring threads; a thread that dies is replaced and its task fails (retried by BullMQ). */
export class ScorerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: { task: ScoreTask; resolve: (r: ScoreOutcome) => void; reject: (e: Error) => void }[] = [];
  private readonly busy = new Map<Worker, { resolve: (r: ScoreOutcome) => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(private readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./scorer.thread.js', import.meta.url));
    w.on('message', (reply: ScoreReply) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      if (job) {
        if (reply.kind === 'scored') job.resolve(reply.result);
        else if (reply.kind === 'rejected') job.reject(new SubmissionRejected(reply.error.code, reply.error.message, reply.error.row));
        else job.reject(new Error(reply.message));
      }
      this.release(w);
    });
    w.on('error', (err) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      job?.reject(err);
      if (!this.closed) this.release(this.spawn());
    });
    w.unref();
    return w;
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) this.start(w, next);
    else this.idle.push(w);
  }

  private start(w: Worker, job: (typeof this.waiting)[number]): void {
    this.busy.set(w, { resolve: job.resolve, reject: job.reject });
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
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }
}
