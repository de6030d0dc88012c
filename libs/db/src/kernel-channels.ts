/**
 * Redis pub/sub between kernel workers and the API. Log lines ride the platform's event
 * channels (`<prefix>:events:*`, fanned out by the API's EventsBus); cancels go to workers.
 */
export const kernelChannels = {
  log: (prefix: string, submissionId: string) => `${prefix}:events:kernel-log:${submissionId}`,
  /** Message: the submission id. Every kernel worker listens; the one running it aborts. */
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
  lines: string[];
}

/** Artifact-store keys of a run: its directory holds `kernel.log` and `submission.csv`. */
export const kernelRunKey = (submissionId: string, attempt: number) => `kernel-runs/${submissionId}/${attempt}`;
