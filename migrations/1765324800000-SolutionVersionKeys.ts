import type { MigrationInterface, QueryRunner } from 'typeorm';

// Solution versions uploaded for a rescore are artifacts: their store key is recorded, so a worker
// on another host (its own data directory, an S3 store) reads them through its cache rather than
// at the path the API's host wrote. Versions built from a bundle have none: every host builds the
// bundle's data itself and checks the solution's SHA-256. Rows from before keep their path only.
export class SolutionVersionKeys1765324800000 implements MigrationInterface {
  name = 'SolutionVersionKeys1765324800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "solution_versions" ADD "artifact_key" character varying(1024)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "solution_versions" DROP COLUMN "artifact_key"`);
  }
}
