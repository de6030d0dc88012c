import type { KernelRunPhase } from '@holdout/contracts';

/**
 * Redis pub/sub between kernel workers and the API. Log lines ride the platform's event
 * channels (`<prefix>:events:*`, fanned out by the API's EventsBus); cancels go to workers.
 */
export const kernelChannels = {
  log: (prefix: string, submissionId: string) => `${prefix}:events:kernel-log:${submissionId}`,
  /** Message: the submission id. Every kernel and model worker listens; the one running it aborts. */
  cancel: (prefix: string) => `${prefix}:kernels:cancel`,
};

/**
 * Each kernel worker announces its machine (`KernelHost` JSON: CPUs, memory, GPUs) under its own
 * key, refreshed well within the expiry, so the API knows what the workers online can give.
 */
export const kernelHostKeys = {
  one: (prefix: string, owner: string) => `${prefix}:kernel-hosts:${owner}`,
  pattern: (prefix: string) => `${prefix}:kernel-hosts:*`,
  ttlSeconds: 60,
  refreshMs: 20_000,
};

/** Live kernel output on the event bus: a batch of lines (already capped by the runner). */
export interface KernelLogEvent {
  type: 'kernel-log';
  submissionId: string;
  /** Which run printed them: the API forwards each only to viewers who may read that run's log. */
  run: KernelRunPhase;
  lines: string[];
}

/**
 * Artifact-store directory of a run: `kernel.log`, `submission.csv`, and for a public run the
 * files it left in /kaggle/working (`working/`). Runs over the hidden data keep the first layout's key.
 */
export const kernelRunKey = (submissionId: string, attempt: number, phase: KernelRunPhase = 'hidden') =>
  `kernel-runs/${submissionId}/${attempt}${phase === 'public' ? '-public' : ''}`;
