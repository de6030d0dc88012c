import type { MigrationInterface, QueryRunner } from 'typeorm';

// Every code a client receives is spelled in lower snake_case, like the API's: the scorer's codes
// were UPPER_SNAKE (MISSING_IMAGE_ID), a kernel's missing file was kebab (no-submission-file),
// and withdrawn model uploads said MODEL_NOT_SUPPORTED. Stored failures and score records follow.
// (Failure classes keep Kaggle's kebab-case words; they are a separate column.)
export class SnakeCaseErrorCodes1764633600000 implements MigrationInterface {
  name = 'SnakeCaseErrorCodes1764633600000';

  public async up(q: QueryRunner): Promise<void> {
    for (const table of ['submissions', 'score_records']) {
      await q.query(`UPDATE "${table}" SET "error_code" = lower(replace("error_code", '-', '_')) WHERE "error_code" IS NOT NULL AND "error_code" <> lower(replace("error_code", '-', '_'))`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of ['submissions', 'score_records']) {
      await q.query(`UPDATE "${table}" SET "error_code" = 'no-submission-file' WHERE "error_code" = 'no_submission_file'`);
      await q.query(
        `UPDATE "${table}" SET "error_code" = upper("error_code")
          WHERE "error_code" NOT IN ('timeout', 'oom', 'exception', 'no-submission-file', 'cancelled', 'infrastructure', 'stuck', 'lost')`,
      );
    }
  }
}
