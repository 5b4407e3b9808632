import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase } from '@planner/db';
import { sql } from 'kysely';
import pino from 'pino';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { ConfigReader } from '../src/config-reader.ts';
import { readCommonConfig, ServiceRuntime } from '../src/service-runtime.ts';

const required = {
  DATABASE_URL: 'postgres://u:p@db:5432/planner',
  KAFKA_BROKERS: 'kafka:9092',
  AUTH_TOKENS: 'a-token-of-sixteen-chars',
};

test('the common settings: defaults, an inbox retention of 30 days and a dependency budget of 600 s unless set', () => {
  const reader = new ConfigReader(required);
  const config = readCommonConfig(reader, 8081);
  reader.done();
  assert.deepEqual(config, {
    databaseUrl: 'postgres://u:p@db:5432/planner',
    kafkaBrokers: ['kafka:9092'],
    host: '127.0.0.1',
    port: 8081,
    authTokens: ['a-token-of-sixteen-chars'],
    kafkaNamespace: '',
    inboxRetentionDays: 30,
    dependencyBudgetSeconds: 600,
    logLevel: 'info',
  });
  const custom = new ConfigReader({ ...required, BUS_INBOX_RETENTION_DAYS: '8', DEPENDENCY_RETRY_BUDGET_SECONDS: '90', LOG_LEVEL: 'warn' });
  const set = readCommonConfig(custom, 8081);
  assert.equal(set.inboxRetentionDays, 8);
  assert.equal(set.dependencyBudgetSeconds, 90);
  assert.equal(set.logLevel, 'warn');
});

test('an unknown LOG_LEVEL stops start-up naming the variable and the levels', () => {
  const reader = new ConfigReader({ ...required, LOG_LEVEL: 'verbose' });
  readCommonConfig(reader, 8081);
  assert.throws(() => reader.done(), /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/);
});

test('an inbox retention under a day stops start-up naming the variable', () => {
  const reader = new ConfigReader({ ...required, BUS_INBOX_RETENTION_DAYS: '0' });
  readCommonConfig(reader, 8081);
  assert.throws(() => reader.done(), /BUS_INBOX_RETENTION_DAYS must be an integer from 1 to 3650, got '0'/);
});

describe('on the real stack', () => {
  const stack = useStack('kafka', 'postgres');
  const database = `service_runtime_${Date.now().toString(36)}`;
  const admin = createDatabase(stack.postgres.url, { maxConnections: 1 });
  before(async () => {
    await sql`create database ${sql.id(database)}`.execute(admin);
  });
  after(async () => {
    await sql`drop database if exists ${sql.id(database)} with (force)`.execute(admin);
    await admin.destroy();
  });

  test('a running service prunes inbox rows older than its retention and keeps the rest', async () => {
    const url = new URL(stack.postgres.url);
    url.pathname = `/${database}`;
    const reader = new ConfigReader({
      ...required,
      DATABASE_URL: url.href,
      KAFKA_BROKERS: stack.kafka.brokers.join(','),
      PORT: '0',
      BUS_INBOX_RETENTION_DAYS: '2',
    });
    const runtime = new ServiceRuntime({ name: 'runtime-test', config: readCommonConfig(reader, 0), logger: pino({ level: 'silent' }) });
    reader.done();
    await runtime.migrate({});
    const row = (eventId: string, daysAgo: number) => ({
      consumer_group: 'runtime-test.g',
      event_id: eventId,
      topic: 'dataset.requested',
      partition: 0,
      offset: 0,
      processed_at: new Date(Date.now() - daysAgo * 24 * 60 * 60 * 1000),
    });
    await runtime.db
      .insertInto('exp.processed_events')
      .values([row('old', 3), row('recent', 1)])
      .execute();
    await runtime.start();
    try {
      await eventually('the pruner to run', async () => {
        const rows = await runtime.db.selectFrom('exp.processed_events').select('event_id').execute();
        return rows.length === 1 ? rows.map((r) => r.event_id) : undefined;
      });
      const left = await runtime.db.selectFrom('exp.processed_events').select('event_id').execute();
      assert.deepEqual(
        left.map((r) => r.event_id),
        ['recent'],
      );
    } finally {
      await runtime.stop();
    }
  });
});
