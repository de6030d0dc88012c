import type { MigrationInterface, QueryRunner } from 'typeorm';

// Kernel submissions: what each kernel asks to run (entry kind, attached dataset, GPU and the
// queue it went to), instructor overrides of the kernel defaults per competition or course,
// and what each run recorded (attempt, device, outcome, duration, peak memory, log size).
// Generated with TypeORM's schema builder from the entities, then reviewed: one run row per
// (submission, attempt) so a redelivered job reuses its row.
export class AddKernelSubmissions1764288000000 implements MigrationInterface {
  name = 'AddKernelSubmissions1764288000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "kernel_submissions" ("submission_id" uuid NOT NULL, "entry_kind" character varying(8) NOT NULL, "dataset_name" character varying(128), "attachments" jsonb NOT NULL DEFAULT '[]', "gpu" boolean NOT NULL, "queue" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_97781636bc8f25cb1c03b5b28d9" PRIMARY KEY ("submission_id"))`);
    await q.query(`ALTER TABLE "kernel_submissions" ADD CONSTRAINT "FK_97781636bc8f25cb1c03b5b28d9" FOREIGN KEY ("submission_id") REFERENCES "submissions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await q.query(`CREATE TABLE "kernel_policies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "competition_id" uuid, "course_id" uuid, "gpu_hours_per_week" double precision, "cpu_fallback" boolean, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c9c91536a4394d7d61b88784909" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_kernel_policies_competition" ON "kernel_policies" ("competition_id") `);
    await q.query(`CREATE UNIQUE INDEX "UQ_kernel_policies_course" ON "kernel_policies" ("course_id") `);
    await q.query(`ALTER TABLE "kernel_policies" ADD CONSTRAINT "FK_9fc6fb796880b51ecd12d95c5ec" FOREIGN KEY ("competition_id") REFERENCES "competitions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "kernel_policies" ADD CONSTRAINT "FK_18642bc3bc3ec0e89b72b1c3c92" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await q.query(`ALTER TABLE "kernel_runs" ADD "attempt" integer NOT NULL DEFAULT '1'`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "queue" character varying(16)`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "gpu" character varying(64)`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "outcome" character varying(32)`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "message" text`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "duration_ms" integer`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "peak_memory_bytes" bigint`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "log_bytes" bigint`);
    await q.query(`ALTER TABLE "kernel_runs" ADD "log_truncated" boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE UNIQUE INDEX "UQ_kernel_runs_submission_attempt" ON "kernel_runs" ("submission_id", "attempt") `);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."UQ_kernel_runs_submission_attempt"`);
    for (const c of ['log_truncated', 'log_bytes', 'peak_memory_bytes', 'duration_ms', 'message', 'outcome', 'gpu', 'queue', 'attempt']) {
      await q.query(`ALTER TABLE "kernel_runs" DROP COLUMN "${c}"`);
    }
    await q.query(`DROP TABLE "kernel_policies"`);
    await q.query(`DROP TABLE "kernel_submissions"`);
  }
}
