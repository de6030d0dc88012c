import type { MigrationInterface, QueryRunner } from 'typeorm';

// Model submissions: one row per run of a submitted ONNX model over the test images (progress,
// the predictions it wrote, what the validator read of the model).
export class ModelRuns1765238400000 implements MigrationInterface {
  name = 'ModelRuns1765238400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "model_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "submission_id" uuid NOT NULL, "attempt" integer NOT NULL DEFAULT '1', "outcome" character varying(32), "message" text, "images_done" integer NOT NULL DEFAULT '0', "images_total" integer, "windows_done" integer NOT NULL DEFAULT '0', "windows_total" integer, "output_path" character varying(1024), "model_info" jsonb, "host" character varying(128), "duration_ms" integer, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_model_runs_outcome" CHECK ("outcome" IS NULL OR "outcome" IN ('succeeded', 'timeout', 'invalid-output', 'cancelled', 'lost', 'error')), CONSTRAINT "PK_8caa6d7d2a44d52b66e8edca8ae" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_model_runs_submission" ON "model_runs" ("submission_id")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_model_runs_submission_attempt" ON "model_runs" ("submission_id", "attempt")`);
    await q.query(`ALTER TABLE "model_runs" ADD CONSTRAINT "FK_7c048af2d7436edba5d27fc9032" FOREIGN KEY ("submission_id") REFERENCES "submissions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "model_runs"`);
  }
}
