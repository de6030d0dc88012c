import { kernelRunKey } from '@holdout/db';
import type { DataSource } from 'typeorm';

/**
 * Where the collected `submission.csv` of a kernel submission lies in the artifact store: that
 * of its latest run that succeeded (a run whose output the scorer rejected also succeeded).
 * Null when no run succeeded. Scored on collection and again by every rescore.
 */
export async function kernelOutputOf(ds: DataSource, submissionId: string): Promise<{ runRowId: string; key: string } | null> {
  const runs: { id: string; attempt: number }[] = await ds.query(
    `SELECT id, attempt FROM kernel_runs WHERE submission_id = $1 AND outcome = 'succeeded' ORDER BY attempt DESC LIMIT 1`,
    [submissionId],
  );
  const run = runs[0];
  return run ? { runRowId: run.id, key: `${kernelRunKey(submissionId, run.attempt)}/submission.csv` } : null;
}

/** The message a participant reads when the scorer rejects their kernel's output. */
export const kernelRejectedMessage = (scorerMessage: string) => `Your kernel's submission.csv was rejected: ${scorerMessage}`;
