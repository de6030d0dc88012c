import type { MigrationInterface, QueryRunner } from 'typeorm';

// Instructors disqualify a team or one submission, with a reason shown to the team; it leaves
// the leaderboards and the shake-up.
export class Disqualification1764979200000 implements MigrationInterface {
  name = 'Disqualification1764979200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "teams" ADD "disqualified_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "teams" ADD "disqualified_reason" text`);
    await q.query(`ALTER TABLE "submissions" ADD "disqualified_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "submissions" ADD "disqualified_reason" text`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "submissions" DROP COLUMN "disqualified_reason"`);
    await q.query(`ALTER TABLE "submissions" DROP COLUMN "disqualified_at"`);
    await q.query(`ALTER TABLE "teams" DROP COLUMN "disqualified_reason"`);
    await q.query(`ALTER TABLE "teams" DROP COLUMN "disqualified_at"`);
  }
}
