import type { MigrationInterface, QueryRunner } from 'typeorm';

// Teams merge: by an invite one team sends another (by name) and the other accepts, or through a
// team's invite link (its secret code).
export class TeamMerges1764892800000 implements MigrationInterface {
  name = 'TeamMerges1764892800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "team_invites" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "competition_id" uuid NOT NULL, "from_team_id" uuid NOT NULL, "to_team_id" uuid NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "answered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_team_invites_status" CHECK ("status" IN ('pending', 'accepted', 'declined', 'cancelled')), CONSTRAINT "PK_2df756220f694d8f6cf5d0988ec" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_team_invites_to" ON "team_invites" ("to_team_id")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_team_invites_pending" ON "team_invites" ("from_team_id", "to_team_id") WHERE "status" = 'pending'`);
    await q.query(`ALTER TABLE "teams" ADD "invite_code" character varying(64)`);
    await q.query(`CREATE UNIQUE INDEX "UQ_teams_invite_code" ON "teams" ("invite_code") WHERE "invite_code" IS NOT NULL`);
    await q.query(`ALTER TABLE "team_invites" ADD CONSTRAINT "FK_6313533788dad4e887a1249ec98" FOREIGN KEY ("from_team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "team_invites" ADD CONSTRAINT "FK_e97e168bc6197a76b90d0532c41" FOREIGN KEY ("to_team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."UQ_teams_invite_code"`);
    await q.query(`ALTER TABLE "teams" DROP COLUMN "invite_code"`);
    await q.query(`DROP TABLE "team_invites"`);
  }
}
