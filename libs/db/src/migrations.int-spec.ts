import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEnv, type TestEnv } from './testing.js';
import { CHECKS } from './checks.js';
import { assertSchemaReady, SchemaNotReadyError } from './data-source.js';

describe('migrations', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv('migrations', { migrate: false });
  });
  after(async () => {
    await env.drop();
  });

  it('refuses a database with pending migrations', async () => {
    await assert.rejects(assertSchemaReady(env.ds), SchemaNotReadyError);
  });

  it('applies cleanly, and the entities match the migrated schema (no drift)', async () => {
    const applied = await env.ds.runMigrations({ transaction: 'each' });
    assert.ok(applied.length >= 1);
    await assertSchemaReady(env.ds);
    const log = await env.ds.driver.createSchemaBuilder().log();
    assert.deepEqual(
      log.upQueries.map((q) => q.query),
      [],
      'entities and migrations drifted: write a migration for these changes',
    );
  });

  it('reverts every migration to an empty schema', async () => {
    const [{ n }]: { n: number }[] = await env.ds.query('SELECT count(*)::int AS n FROM migrations');
    for (let i = 0; i < n; i++) await env.ds.undoLastMigration({ transaction: 'each' });
    const tables: { table_name: string }[] = await env.ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
    assert.deepEqual(tables, []);
  });
});

describe('enum checks', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv('enum-checks');
  });
  after(async () => {
    await env.drop();
  });

  it('every check of the entities is in the migrated schema with the same expression', async () => {
    const rows: { name: string; def: string }[] = await env.ds.query(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'c' AND conname LIKE 'CHK_%'`);
    const inDb = new Map(rows.map((r) => [r.name, r.def]));
    for (const c of Object.values(CHECKS)) {
      assert.ok(inDb.has(c.name), `${c.name} is missing from the schema`);
      // Postgres normalises `x IN (…)` to `x = ANY (ARRAY[…])`: compare the values it lists.
      const values = (s: string) => [...s.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();
      assert.deepEqual(values(inDb.get(c.name)!), values(c.expression), c.name);
    }
  });

  it('refuses a status the code does not know', async () => {
    await assert.rejects(
      env.ds.query(`INSERT INTO submissions (competition_id, team_id, kind, status) VALUES (gen_random_uuid(), gen_random_uuid(), 'file', 'lost')`),
      /CHK_submissions_status|violates check constraint/,
    );
  });
});
