import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEnv, type TestEnv } from './testing.js';
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
