import type { MigrationInterface, QueryRunner } from 'typeorm';

// The database refuses values the code does not know in its enum-like columns (submission status,
// kind and failure class, kernel run step and outcome, kernel entry kind, data status, course role).
// The lists are libs/rules' (libs/db/src/checks.ts builds the entities' @Check from them); this
// migration writes them out, as migrations must not change when the code does.
const CHECKS: [table: string, name: string, expression: string][] = [
  ['submissions', 'CHK_submissions_status', `"status" IN ('queued', 'running', 'scoring', 'scored', 'failed', 'cancelled')`],
  ['submissions', 'CHK_submissions_kind', `"kind" IN ('file', 'kernel', 'model')`],
  ['submissions', 'CHK_submissions_error_class', `"error_class" IS NULL OR "error_class" IN ('validation', 'timeout', 'oom', 'exception', 'no-submission-file', 'scoring-error', 'cancelled', 'infrastructure')`],
  ['kernel_runs', 'CHK_kernel_runs_step', `"step" IN ('created', 'running', 'collected', 'scoring', 'done')`],
  ['kernel_runs', 'CHK_kernel_runs_outcome', `"outcome" IS NULL OR "outcome" IN ('succeeded', 'timeout', 'oom', 'exception', 'no-submission-file', 'cancelled', 'lost', 'error')`],
  ['kernel_submissions', 'CHK_kernel_submissions_entry_kind', `"entry_kind" IN ('py', 'ipynb')`],
  ['competitions', 'CHK_competitions_data_status', `"data_status" IN ('pending', 'ready', 'failed')`],
  ['memberships', 'CHK_memberships_role', `"role" IN ('instructor', 'ta', 'student')`],
];

export class AddEnumChecks1764547200000 implements MigrationInterface {
  name = 'AddEnumChecks1764547200000';

  public async up(q: QueryRunner): Promise<void> {
    for (const [table, name, expression] of CHECKS) await q.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${name}" CHECK (${expression})`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const [table, name] of [...CHECKS].reverse()) await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}"`);
  }
}
