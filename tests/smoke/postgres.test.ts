import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type Generated, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { uniqueName, useStack } from '../support/stack.ts';

const config = useStack('postgres');

interface SmokeTable {
  id: number;
  label: string;
  created_at: Generated<Date>;
}

const table = uniqueName('smoke').replaceAll('-', '_');
const db = new Kysely<Record<string, SmokeTable>>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.postgres.url, max: 2 }) }),
});

after(async () => {
  await db.schema.dropTable(table).ifExists().execute();
  await db.destroy();
});

test('kysely writes and reads rows on the real PostgreSQL, and a failed transaction leaves nothing behind', async () => {
  await db.schema
    .createTable(table)
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db
    .insertInto(table)
    .values([
      { id: 1, label: 'one' },
      { id: 2, label: 'two' },
    ])
    .execute();

  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto(table).values({ id: 3, label: 'three' }).execute();
      await trx.insertInto(table).values({ id: 1, label: 'duplicate' }).execute();
    }),
    /duplicate key/,
  );

  const rows = await db.selectFrom(table).select(['id', 'label', 'created_at']).orderBy('id').execute();
  assert.deepEqual(
    rows.map((r) => [r.id, r.label]),
    [
      [1, 'one'],
      [2, 'two'],
    ],
  );
  assert.ok(rows[0]?.created_at instanceof Date);

  const version = await sql<{ server_version_num: string }>`show server_version_num`.execute(db);
  assert.ok(Number(version.rows[0]?.server_version_num) >= 160000, 'PostgreSQL 16 or newer');
});
