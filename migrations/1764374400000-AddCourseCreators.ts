import type { MigrationInterface, QueryRunner } from 'typeorm';

// Who may open courses (and so become an instructor with bundle-upload rights): site admins,
// users an admin approved, or anyone when HOLDOUT_COURSE_CREATION=anyone. Users who already
// instruct a course keep the right they used.
export class AddCourseCreators1764374400000 implements MigrationInterface {
  name = 'AddCourseCreators1764374400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "can_create_courses" boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE "users" SET "can_create_courses" = true WHERE "id" IN (SELECT "user_id" FROM "memberships" WHERE "role" = 'instructor')`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" DROP COLUMN "can_create_courses"`);
  }
}
