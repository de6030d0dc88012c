import { quotaWindow } from '@holdout/metrics';

/**
 * The daily quota rule, written down once (and on every competition's rules page).
 *
 * A team may make `dailySubmissions` submissions per UTC day (00:00–24:00 UTC). A submission
 * counts against the day it was created on unless it failed for a reason that is not the
 * participant's doing or that the scorer rejected as invalid — i.e. it is charged when its status
 * is queued, running, scoring or scored, or when it failed with a kernel-runtime class
 * (timeout, oom, exception, no-submission-file). Not charged: failed with `validation`,
 * `scoring-error` or `infrastructure`, and `cancelled`. Late submissions count the same way.
 */
export const CHARGED_STATUSES_SQL = `(s.status IN ('queued','running','scoring','scored') OR (s.status = 'failed' AND s.error_class IN ('timeout','oom','exception','no-submission-file')))`;

/** Start and end of the UTC day containing `now` (the ranking library's window). */
export function quotaDay(now: Date): { start: Date; end: Date } {
  return quotaWindow({ now });
}
