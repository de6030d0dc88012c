import type { MigrationInterface, QueryRunner } from 'typeorm';

// Kernels run twice, as Kaggle's "save, then submit": first over the public data (the team sees
// its log and files), then over the hidden test data. Each run is a `kernel_runs` row with its
// phase (the rows so far were all over the hidden data); a submission records the run it is in
// (`run_phase`: a failure in the public run is not charged) and whether it was a run without
// submitting (`run_only`, which ends `complete`).
export class KernelPublicRuns1764806400000 implements MigrationInterface {
  name = 'KernelPublicRuns1764806400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "kernel_runs" ADD "phase" varchar(8) NOT NULL DEFAULT 'hidden'`);
    await q.query(`ALTER TABLE "kernel_runs" ADD CONSTRAINT "CHK_kernel_runs_phase" CHECK ("phase" IN ('public', 'hidden'))`);
    await q.query(`DROP INDEX "UQ_kernel_runs_submission_attempt"`);
    await q.query(`CREATE UNIQUE INDEX "UQ_kernel_runs_submission_attempt_phase" ON "kernel_runs" ("submission_id", "attempt", "phase")`);
    await q.query(`ALTER TABLE "submissions" ADD "run_phase" varchar(8)`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "CHK_submissions_run_phase" CHECK ("run_phase" IS NULL OR "run_phase" IN ('public', 'hidden'))`);
    await q.query(`UPDATE "submissions" SET "run_phase" = 'hidden' WHERE "kind" = 'kernel' AND "status" <> 'queued'`);
    await q.query(`ALTER TABLE "submissions" ADD "run_only" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "CHK_submissions_status"`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "CHK_submissions_status" CHECK ("status" IN ('queued', 'running', 'scoring', 'scored', 'failed', 'cancelled', 'complete'))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "submissions" WHERE "status" = 'complete'`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "CHK_submissions_status"`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "CHK_submissions_status" CHECK ("status" IN ('queued', 'running', 'scoring', 'scored', 'failed', 'cancelled'))`);
    await q.query(`ALTER TABLE "submissions" DROP COLUMN "run_only"`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "CHK_submissions_run_phase"`);
    await q.query(`ALTER TABLE "submissions" DROP COLUMN "run_phase"`);
    await q.query(`DELETE FROM "kernel_runs" WHERE "phase" = 'public'`);
    await q.query(`DROP INDEX "UQ_kernel_runs_submission_attempt_phase"`);
    await q.query(`CREATE UNIQUE INDEX "UQ_kernel_runs_submission_attempt" ON "kernel_runs" ("submission_id", "attempt")`);
    await q.query(`ALTER TABLE "kernel_runs" DROP CONSTRAINT "CHK_kernel_runs_phase"`);
    await q.query(`ALTER TABLE "kernel_runs" DROP COLUMN "phase"`);
  }
}
