import type { SubmissionKind } from '@holdout/contracts';

/**
 * The kinds of submission an instructor may turn on: those the competition's bundle offers (a
 * kernel-only bundle keeps its test images hidden, so it cannot take prediction files), at least
 * one. Returns what is wrong, or null.
 */
export function submissionKindsProblem(o: { requested: readonly SubmissionKind[]; available: readonly SubmissionKind[] }): string | null {
  if (o.requested.length === 0) return 'submissionKinds: keep at least one kind of submission';
  const missing = o.requested.filter((k) => !o.available.includes(k));
  if (missing.length > 0) return `submissionKinds: this competition's bundle does not offer ${missing.join(', ')} (it offers ${o.available.join(', ')})`;
  return null;
}
