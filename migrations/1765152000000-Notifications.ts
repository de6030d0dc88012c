import type { MigrationInterface, QueryRunner } from 'typeorm';

// Notifications: a row per recipient (the bell), mailed by the API's dispatcher unless the user
// switched e-mail off.
export class Notifications1765152000000 implements MigrationInterface {
  name = 'Notifications1765152000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "notifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "kind" character varying(32) NOT NULL, "title" character varying(300) NOT NULL, "link" character varying(500) NOT NULL, "read_at" TIMESTAMP WITH TIME ZONE, "email_state" character varying(16) NOT NULL DEFAULT 'pending', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_notifications_email_state" CHECK ("email_state" IN ('pending', 'sent', 'skipped', 'failed')), CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_notifications_email_pending" ON "notifications" ("created_at") WHERE "email_state" = 'pending'`);
    await q.query(`CREATE INDEX "IDX_notifications_user_created" ON "notifications" ("user_id", "created_at")`);
    await q.query(`ALTER TABLE "users" ADD "email_notifications" boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE "notifications" ADD CONSTRAINT "FK_9a8a82462cab47c73d25f49261f" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "notifications"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "email_notifications"`);
  }
}
