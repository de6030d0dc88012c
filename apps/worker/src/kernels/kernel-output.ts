import { kernelRunKey } from '@holdout/db';
import type { KernelRunPhase } from '@holdout/contracts';
import type { DataSource } from 'typeorm';

/**
 * Where the scored `submission.csv` of a kernel submission lies in the artifact store: that of
 * its latest attempt's run over the hidden test data, or its public run where there is no hidden
 * run (the test images are public), that succeeded (a run whose output the scorer rejected also
 * succeeded). Null when none did. Only asked once the submission reached scoring (then that run
 * is the final one). Scored on collection and again by every rescore.
 */
export async function kernelOutputOf(ds: DataSource, submissionId: string): Promise<{ runRowId: string; key: string } | null> {
  const runs: { id: string; attempt: number; phase: KernelRunPhase }[] = await ds.query(
    `SELECT id, attempt, phase FROM kernel_runs WHERE submission_id = $1 AND outcome = 'succeeded' ORDER BY attempt DESC, phase = 'hidden' DESC LIMIT 1`,
    [submissionId],
  );
  const run = runs[0];
  return run ? { runRowId: run.id, key: `${kernelRunKey(submissionId, run.attempt, run.phase)}/submission.csv` } : null;
}

/** The message a participant reads when the scorer rejects their kernel's output. */
export const kernelRejectedMessage = (scorerMessage: string) => `Your kernel's submission.csv was rejected: ${scorerMessage}`;
