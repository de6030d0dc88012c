import type { MigrationInterface, QueryRunner } from 'typeorm';

// Initial schema. Generated from the entities with TypeORM's schema builder, then reviewed:
// snake_case names, pgcrypto's gen_random_uuid() for ids, partial indexes for the leaderboard
// (scored, on-time submissions) and for the reconciler (unfinished submissions).
export class CreateCoreSchema1764201600000 implements MigrationInterface {
  name = 'CreateCoreSchema1764201600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(320) NOT NULL, "display_name" character varying(120) NOT NULL, "password_hash" character varying(255) NOT NULL, "is_admin" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users"("email") `);
    await q.query(`CREATE TABLE "api_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "token_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_api_tokens_user" ON "api_tokens"("user_id") `);
    await q.query(`CREATE UNIQUE INDEX "UQ_api_tokens_token_hash" ON "api_tokens"("token_hash") `);
    await q.query(`CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "token_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_sessions_user" ON "sessions"("user_id") `);
    await q.query(`CREATE UNIQUE INDEX "UQ_sessions_token_hash" ON "sessions"("token_hash") `);
    await q.query(`CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_id" uuid, "action" character varying(64) NOT NULL, "competition_id" uuid, "subject_type" character varying(32), "subject_id" character varying(64), "data" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_audit_events_competition_at" ON "audit_events"("competition_id", "at") `);
    await q.query(`CREATE TABLE "courses" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(200) NOT NULL, "join_code" character varying(16) NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3f70a487cc718ad8eda4e6d58c9" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_courses_join_code" ON "courses"("join_code") `);
    await q.query(`CREATE TABLE "competitions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "slug" character varying(100) NOT NULL, "course_id" uuid, "visibility" character varying(16) NOT NULL DEFAULT 'course', "title" character varying(200) NOT NULL, "metric" character varying(32) NOT NULL, "rle_order" character varying(8) NOT NULL, "submission_kinds" text array NOT NULL, "opens_at" TIMESTAMP WITH TIME ZONE NOT NULL, "team_merge_deadline" TIMESTAMP WITH TIME ZONE, "closes_at" TIMESTAMP WITH TIME ZONE NOT NULL, "daily_submissions" integer NOT NULL, "final_selections" integer NOT NULL, "config" jsonb NOT NULL, "pages" jsonb NOT NULL, "bundle_dir" character varying(1024) NOT NULL, "data_dir" character varying(1024), "public_dir" character varying(1024), "data_status" character varying(16) NOT NULL DEFAULT 'pending', "current_solution_version_id" uuid, "revealed_at" TIMESTAMP WITH TIME ZONE, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ef273910798c3a542b475e75c7d" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_competitions_slug" ON "competitions"("slug") `);
    await q.query(`CREATE INDEX "IDX_competitions_course" ON "competitions"("course_id") `);
    await q.query(`CREATE TABLE "solution_versions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "competition_id" uuid NOT NULL, "version" integer NOT NULL, "path" character varying(1024) NOT NULL, "checksum" character(64) NOT NULL, "note" character varying(500), "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_55012b08bb943aabbd5534c6a81" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_solution_versions_competition_version" ON "solution_versions"("competition_id", "version") `);
    await q.query(`CREATE TABLE "memberships" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "course_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_25d28bd932097a9e90495ede7b4" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_memberships_user" ON "memberships"("user_id") `);
    await q.query(`CREATE UNIQUE INDEX "UQ_memberships_course_user" ON "memberships"("course_id", "user_id") `);
    await q.query(`CREATE TABLE "teams" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "competition_id" uuid NOT NULL, "name" character varying(120) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7e5523774a38b08a6236d322403" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_teams_competition" ON "teams"("competition_id") `);
    await q.query(`CREATE TABLE "submissions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "competition_id" uuid NOT NULL, "team_id" uuid NOT NULL, "user_id" uuid, "kind" character varying(16) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'queued', "description" character varying(1000), "cv_score" double precision, "file_name" character varying(255), "artifact_path" character varying(1024), "checksum" character(64), "size_bytes" bigint, "solution_version_id" uuid, "public_score" double precision, "private_score" double precision, "public_interval" jsonb, "private_interval" jsonb, "per_image_public" jsonb, "per_image_private" jsonb, "error_class" character varying(32), "error_code" character varying(64), "error_message" text, "error_row" integer, "late" boolean NOT NULL DEFAULT false, "selected" boolean NOT NULL DEFAULT false, "attempts" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "scored_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_10b3be95b8b2fb1e482e07d706b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_submissions_unfinished" ON "submissions"("status", "updated_at") WHERE "status" IN ('queued', 'running', 'scoring')`);
    await q.query(`CREATE INDEX "IDX_submissions_board" ON "submissions"("competition_id", "team_id", "public_score", "created_at") WHERE "status" = 'scored' AND "late" = false`);
    await q.query(`CREATE INDEX "IDX_submissions_team_created" ON "submissions"("team_id", "created_at") `);
    await q.query(`CREATE TABLE "kernel_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "submission_id" uuid NOT NULL, "step" character varying(32) NOT NULL DEFAULT 'created', "image_digest" character varying(255), "container_id" character varying(128), "host" character varying(128), "exit_code" integer, "log_path" character varying(1024), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_32ef95d342e8b4a7a952e51e209" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_kernel_runs_submission" ON "kernel_runs"("submission_id") `);
    await q.query(`CREATE TABLE "score_records" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "submission_id" uuid NOT NULL, "solution_version_id" uuid NOT NULL, "run" character varying(64) NOT NULL, "public_score" double precision, "private_score" double precision, "public_interval" jsonb, "private_interval" jsonb, "error_code" character varying(64), "error_message" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_988486d0dcfb824da227de72a3e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_score_records_solution_version" ON "score_records"("solution_version_id") `);
    await q.query(`CREATE UNIQUE INDEX "UQ_score_records_run" ON "score_records"("submission_id", "solution_version_id", "run") `);
    await q.query(`CREATE TABLE "team_members" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "team_id" uuid NOT NULL, "competition_id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ca3eae89dcf20c9fd95bf7460aa" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_team_members_team" ON "team_members"("team_id") `);
    await q.query(`CREATE UNIQUE INDEX "UQ_team_members_competition_user" ON "team_members"("competition_id", "user_id") `);
    await q.query(`ALTER TABLE "api_tokens" ADD CONSTRAINT "FK_b74883f5884a42fd8496d389b25" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "sessions" ADD CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "courses" ADD CONSTRAINT "FK_5ddfd7dc6bf96ce236cd9359282" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "competitions" ADD CONSTRAINT "FK_0c33f2662f8f0a040c39c1b563d" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "solution_versions" ADD CONSTRAINT "FK_77e61b6c5783c22651925253edd" FOREIGN KEY ("competition_id") REFERENCES "competitions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "memberships" ADD CONSTRAINT "FK_f234f73efd09edf696426d633ee" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "memberships" ADD CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "teams" ADD CONSTRAINT "FK_01799926ca2a97ad5b30b16fe56" FOREIGN KEY ("competition_id") REFERENCES "competitions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "FK_a83fc1108ba38cc6c1d471587c4" FOREIGN KEY ("competition_id") REFERENCES "competitions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "FK_744e0ddbe7ee244176b7bd1dd44" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "FK_fca12c4ddd646dea4572c6815a9" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "submissions" ADD CONSTRAINT "FK_ebbe7c9bbf70da3d6386a420dc5" FOREIGN KEY ("solution_version_id") REFERENCES "solution_versions"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "kernel_runs" ADD CONSTRAINT "FK_8a0a7635b2af7aef38fd957c952" FOREIGN KEY ("submission_id") REFERENCES "submissions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "score_records" ADD CONSTRAINT "FK_1127ef7e390e5606da005af2acb" FOREIGN KEY ("submission_id") REFERENCES "submissions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "score_records" ADD CONSTRAINT "FK_09e5cd2e5019dcb36eaf144b4be" FOREIGN KEY ("solution_version_id") REFERENCES "solution_versions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "team_members" ADD CONSTRAINT "FK_fdad7d5768277e60c40e01cdcea" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "team_members" ADD CONSTRAINT "FK_ed608bff52295924b9e164943d4" FOREIGN KEY ("competition_id") REFERENCES "competitions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "team_members" ADD CONSTRAINT "FK_c2bf4967c8c2a6b845dadfbf3d4" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "team_members" DROP CONSTRAINT "FK_c2bf4967c8c2a6b845dadfbf3d4"`);
    await q.query(`ALTER TABLE "team_members" DROP CONSTRAINT "FK_ed608bff52295924b9e164943d4"`);
    await q.query(`ALTER TABLE "team_members" DROP CONSTRAINT "FK_fdad7d5768277e60c40e01cdcea"`);
    await q.query(`ALTER TABLE "score_records" DROP CONSTRAINT "FK_09e5cd2e5019dcb36eaf144b4be"`);
    await q.query(`ALTER TABLE "score_records" DROP CONSTRAINT "FK_1127ef7e390e5606da005af2acb"`);
    await q.query(`ALTER TABLE "kernel_runs" DROP CONSTRAINT "FK_8a0a7635b2af7aef38fd957c952"`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "FK_ebbe7c9bbf70da3d6386a420dc5"`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "FK_fca12c4ddd646dea4572c6815a9"`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "FK_744e0ddbe7ee244176b7bd1dd44"`);
    await q.query(`ALTER TABLE "submissions" DROP CONSTRAINT "FK_a83fc1108ba38cc6c1d471587c4"`);
    await q.query(`ALTER TABLE "teams" DROP CONSTRAINT "FK_01799926ca2a97ad5b30b16fe56"`);
    await q.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051"`);
    await q.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_f234f73efd09edf696426d633ee"`);
    await q.query(`ALTER TABLE "solution_versions" DROP CONSTRAINT "FK_77e61b6c5783c22651925253edd"`);
    await q.query(`ALTER TABLE "competitions" DROP CONSTRAINT "FK_0c33f2662f8f0a040c39c1b563d"`);
    await q.query(`ALTER TABLE "courses" DROP CONSTRAINT "FK_5ddfd7dc6bf96ce236cd9359282"`);
    await q.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19"`);
    await q.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "FK_b74883f5884a42fd8496d389b25"`);
    await q.query(`DROP INDEX "public"."UQ_team_members_competition_user"`);
    await q.query(`DROP INDEX "public"."IDX_team_members_team"`);
    await q.query(`DROP TABLE "team_members"`);
    await q.query(`DROP INDEX "public"."UQ_score_records_run"`);
    await q.query(`DROP INDEX "public"."IDX_score_records_solution_version"`);
    await q.query(`DROP TABLE "score_records"`);
    await q.query(`DROP INDEX "public"."IDX_kernel_runs_submission"`);
    await q.query(`DROP TABLE "kernel_runs"`);
    await q.query(`DROP INDEX "public"."IDX_submissions_team_created"`);
    await q.query(`DROP INDEX "public"."IDX_submissions_board"`);
    await q.query(`DROP INDEX "public"."IDX_submissions_unfinished"`);
    await q.query(`DROP TABLE "submissions"`);
    await q.query(`DROP INDEX "public"."IDX_teams_competition"`);
    await q.query(`DROP TABLE "teams"`);
    await q.query(`DROP INDEX "public"."UQ_memberships_course_user"`);
    await q.query(`DROP INDEX "public"."IDX_memberships_user"`);
    await q.query(`DROP TABLE "memberships"`);
    await q.query(`DROP INDEX "public"."UQ_solution_versions_competition_version"`);
    await q.query(`DROP TABLE "solution_versions"`);
    await q.query(`DROP INDEX "public"."IDX_competitions_course"`);
    await q.query(`DROP INDEX "public"."UQ_competitions_slug"`);
    await q.query(`DROP TABLE "competitions"`);
    await q.query(`DROP INDEX "public"."UQ_courses_join_code"`);
    await q.query(`DROP TABLE "courses"`);
    await q.query(`DROP INDEX "public"."IDX_audit_events_competition_at"`);
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP INDEX "public"."UQ_sessions_token_hash"`);
    await q.query(`DROP INDEX "public"."IDX_sessions_user"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP INDEX "public"."UQ_api_tokens_token_hash"`);
    await q.query(`DROP INDEX "public"."IDX_api_tokens_user"`);
    await q.query(`DROP TABLE "api_tokens"`);
    await q.query(`DROP INDEX "public"."UQ_users_email"`);
    await q.query(`DROP TABLE "users"`);
  }
}
