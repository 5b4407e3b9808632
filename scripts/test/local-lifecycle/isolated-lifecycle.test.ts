import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { useStack } from '../../../tests/support/stack.ts';
import { isolatedLifecycle, removeIdleEnvironments } from '../../local-lifecycle/isolated-lifecycle.ts';

const config = useStack('postgres', 'kafka');
const leftovers: { cleanup(): Promise<void> }[] = [];
after(async () => {
  for (const life of leftovers) await life.cleanup();
});

async function databaseExists(id: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [id]);
  await client.end();
  return rowCount === 1;
}

async function topicsOf(id: string): Promise<string[]> {
  const admin = new Kafka({ clientId: 'sweep-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${id}.`));
  await admin.disconnect();
  return topics;
}

test('earlier environments nothing uses are removed with their topics; one in use, a younger one and another name stay', async () => {
  const inUse = await isolatedLifecycle(config, 'sweep');
  const idle = await isolatedLifecycle(config, 'sweep');
  const otherName = await isolatedLifecycle(config, 'sweep-other');
  leftovers.push(inUse, idle, otherName);
  const connection = new pg.Client({ connectionString: inUse.databaseUrl });
  await connection.connect();
  try {
    assert.ok((await topicsOf(idle.id)).includes(`${idle.id}.gate.passed`));

    assert.deepEqual(await removeIdleEnvironments(config, 'sweep', { olderThanMs: 3_600_000 }), [], 'all are younger than an hour');
    assert.deepEqual(await removeIdleEnvironments(config, 'sweep', { olderThanMs: 0 }), [idle.id]);

    assert.equal(await databaseExists(idle.id), false);
    assert.deepEqual(await topicsOf(idle.id), []);
    assert.equal(await databaseExists(inUse.id), true, 'a connected client keeps its environment');
    assert.ok((await topicsOf(inUse.id)).length > 0);
    assert.equal(await databaseExists(otherName.id), true, "'sweep-other' is not an environment called 'sweep'");
  } finally {
    await connection.end();
  }
});
