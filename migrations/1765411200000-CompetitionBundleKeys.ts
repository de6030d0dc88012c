import type { MigrationInterface, QueryRunner } from 'typeorm';

// An uploaded bundle is also kept in the artifact store (with a remote store), under the key prefix
// recorded here, so that a worker on another host fetches it to build the competition's data.
export class CompetitionBundleKeys1765411200000 implements MigrationInterface {
  name = 'CompetitionBundleKeys1765411200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "competitions" ADD "bundle_key" character varying(1024)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "competitions" DROP COLUMN "bundle_key"`);
  }
}
