import type { MigrationInterface, QueryRunner } from 'typeorm';

// Model (ONNX) submissions were accepted and queued where no worker listens: they sat `queued`
// forever and counted against the daily quota. Until the platform runs models, no competition
// offers the kind, and the ones already waiting fail with a reason, uncharged (`infrastructure`
// failures are not charged).
export class WithdrawModelKind1764460800000 implements MigrationInterface {
  name = 'WithdrawModelKind1764460800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE "competitions" SET "submission_kinds" = array_remove("submission_kinds", 'model') WHERE 'model' = ANY("submission_kinds") AND cardinality("submission_kinds") > 1`);
    await q.query(
      `UPDATE "submissions" SET "status" = 'failed', "error_class" = 'infrastructure', "error_code" = 'MODEL_NOT_SUPPORTED',
         "error_message" = 'model (ONNX) submissions are not run by this platform yet; this one was never run and is not counted against your quota',
         "updated_at" = now()
       WHERE "kind" = 'model' AND "status" IN ('queued', 'running', 'scoring')`,
    );
  }

  public async down(): Promise<void> {
    // Nothing to restore: the kind was never run.
  }
}
