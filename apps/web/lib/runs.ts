// A kernel submission's runs (public, then hidden), as the submission page shows them.
import type { KernelRunDto } from '@holdout/contracts';

/** A run with its log: null when the viewer may not read it, or for an earlier attempt (`?run=` reads the latest). */
export type RunView = KernelRunDto & { log: string | null };

/** The runs `?run=public|hidden` names: the latest attempt of each phase (logs and files are read from those). */
export function latestOfEachPhase<R extends Pick<KernelRunDto, 'phase' | 'attempt'>>(runs: R[]): Set<R> {
  const last = new Map<string, R>();
  for (const r of runs) if ((last.get(r.phase)?.attempt ?? 0) <= r.attempt) last.set(r.phase, r);
  return new Set(last.values());
}

/** Where a file a run wrote downloads from. */
export function runFileUrl(submissionId: string, phase: KernelRunDto['phase'], name: string): string {
  return `/api/submissions/${encodeURIComponent(submissionId)}/output?run=${phase}&name=${encodeURIComponent(name)}`;
}
