import type { MigrationInterface, QueryRunner } from 'typeorm';

// Staff may run again a kernel that failed on our side; each retry gives it a fresh set of attempts.
export class AddSubmissionRetries1764720000000 implements MigrationInterface {
  name = 'AddSubmissionRetries1764720000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "submissions" ADD "retries" integer NOT NULL DEFAULT 0`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "submissions" DROP COLUMN "retries"`);
  }
}
