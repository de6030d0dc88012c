import type { MigrationInterface, QueryRunner } from 'typeorm';

// Course management: an imported roster of e-mail addresses (their accounts join when they sign
// up), join codes that expire or are revoked (null).
export class CourseRoster1765065600000 implements MigrationInterface {
  name = 'CourseRoster1765065600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "course_roster" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "course_id" uuid NOT NULL, "email" character varying(320) NOT NULL, "role" character varying(16) NOT NULL DEFAULT 'student', "added_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_course_roster_role" CHECK ("role" IN ('student', 'ta')), CONSTRAINT "PK_b11a32438138e7cb0a3099303c9" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_course_roster_email" ON "course_roster" ("email")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_course_roster_course_email" ON "course_roster" ("course_id", "email")`);
    await q.query(`ALTER TABLE "courses" ADD "join_code_expires_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "courses" ALTER COLUMN "join_code" DROP NOT NULL`);
    await q.query(`ALTER TABLE "course_roster" ADD CONSTRAINT "FK_a753f40653dfde23c23014b7e43" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "course_roster"`);
    await q.query(`UPDATE "courses" SET "join_code" = upper(substr(md5(id::text), 1, 8)) WHERE "join_code" IS NULL`);
    await q.query(`ALTER TABLE "courses" ALTER COLUMN "join_code" SET NOT NULL`);
    await q.query(`ALTER TABLE "courses" DROP COLUMN "join_code_expires_at"`);
  }
}
