import { CHARGED_FAILURE_CLASSES, CHARGED_STATUSES, RESCORABLE_FAILURE_CLASSES, RESCORABLE_KINDS, UNCHARGED_RUN_PHASE, UNCOUNTED_PUBLIC_RUN_CLASSES, UNFINISHED_STATUSES } from '@holdout/rules';

// The rules of libs/rules as SQL over `submissions s`, built from the same lists so that the
// database and the code cannot disagree. (The lists are constants of the rules, never input.)
const inList = (xs: readonly string[]) => xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(', ');

/** Submissions charged to the daily quota (libs/rules `isCharged`). */
export const CHARGED_STATUSES_SQL = `(NOT s.run_only AND (s.status IN (${inList(CHARGED_STATUSES)}) OR (s.status = 'failed' AND s.error_class IN (${inList(CHARGED_FAILURE_CLASSES)}) AND s.run_phase IS DISTINCT FROM ${inList([UNCHARGED_RUN_PHASE])})))`;

/** Kernel submissions counted against the public runs' daily limit (libs/rules `publicRunsLeft`). */
export const COUNTED_PUBLIC_RUNS_SQL = `(s.kind = 'kernel' AND (s.error_class IS NULL OR s.error_class NOT IN (${inList(UNCOUNTED_PUBLIC_RUN_CLASSES)})))`;

/** Submissions a rescore scores again (libs/rules `isRescorable`). */
export const RESCORABLE_SQL = `(s.kind IN (${inList(RESCORABLE_KINDS)}) AND s.solution_version_id IS NOT NULL AND (s.status = 'scored' OR (s.status = 'failed' AND s.error_class IN (${inList(RESCORABLE_FAILURE_CLASSES)}))))`;

/**
 * Submissions that hold a competition's reveal: made before the close (not late), on the way to a
 * score (not a run without submitting) and still owed a result. The private board is revealed
 * once none is left, so it holds every submission made before the close.
 */
export const HOLDS_REVEAL_SQL = `(NOT s.late AND NOT s.run_only AND s.status IN (${inList(UNFINISHED_STATUSES)}))`;
