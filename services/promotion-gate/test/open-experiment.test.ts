/** A policy runs one experiment at a time: later gate passes queue behind it (decision 0010), even when they commit together. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDatabase, migrate } from '@planner/db';
import { type Kysely, sql } from 'kysely';
import { eventually } from '../../../scripts/local-lifecycle/eventually.ts';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { type GatePass, openExperiment } from '../src/open-experiment.ts';
import { type GateTables, gateMigrations } from '../src/tables.ts';

const stack = useStack('postgres', 'kafka');
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<GateTables>;

/** A policy with an active baseline and `candidates` versions, each passed by the gate. */
async function policy(policyId: string, candidates: number): Promise<GatePass[]> {
  const version = (n: number) => ({
    policy_version_id: `${policyId}:v${n}`,
    policy_id: policyId,
    version: n,
    config_defaults: '{}',
    mlflow_model_name: null,
    mlflow_model_version: null,
    model_uri: null,
    dataset_version: null,
    status: n === 0 ? ('active' as const) : ('candidate' as const),
  });
  await db
    .insertInto('exp.policy_versions')
    .values(Array.from({ length: candidates + 1 }, (_, n) => version(n)))
    .execute();
  const passes = Array.from({ length: candidates }, (_, i) => ({
    experimentId: `${policyId}-e${i + 1}`,
    decisionId: `${policyId}-d${i + 1}`,
    policyId,
    policyVersionId: `${policyId}:v${i + 1}`,
    treatmentAllocation: 0.05,
  }));
  await db
    .insertInto('exp.gate_decisions')
    .values(
      passes.map((p) => ({
        decision_id: p.decisionId,
        replay_id: `replay-${p.decisionId}`,
        policy_version_id: p.policyVersionId,
        outcome: 'passed' as const,
        rules: '[]',
        config: '{}',
        config_version: 'c',
      })),
    )
    .execute();
  return passes;
}

const statuses = async (policyId: string) =>
  (
    await db
      .selectFrom('exp.experiments')
      .select(['experiment_id', 'status'])
      .where('policy_id', '=', policyId)
      .orderBy('experiment_id')
      .execute()
  ).map((e) => [e.experiment_id, e.status]);

before(async () => {
  life = await isolatedLifecycle(stack, 'gate_open');
  db = createDatabase<GateTables>(life.databaseUrl);
  await migrate(db, 'promotion-gate', gateMigrations);
});

after(async () => {
  await db?.destroy();
  await life?.cleanup();
});

test('the first pass of a policy runs; later passes queue behind it with the same variants', async () => {
  const [first, second, third] = await policy('serial', 3);
  assert.ok(first && second && third);
  const opened = [];
  for (const pass of [first, second, third]) opened.push(await db.transaction().execute((trx) => openExperiment(trx, pass)));
  assert.deepEqual(
    opened.map((o) => o.status),
    ['running', 'queued', 'queued'],
  );
  assert.deepEqual(await statuses('serial'), [
    ['serial-e1', 'running'],
    ['serial-e2', 'queued'],
    ['serial-e3', 'queued'],
  ]);
  const variants = await db
    .selectFrom('exp.variants')
    .select(['policy_version_id', 'role', 'allocation'])
    .where('experiment_id', '=', 'serial-e2')
    .orderBy('role')
    .execute();
  assert.deepEqual(variants, [
    { policy_version_id: 'serial:v0', role: 'control', allocation: 0.95 },
    { policy_version_id: 'serial:v2', role: 'treatment', allocation: 0.05 },
  ]);
});

test('two passes committing at once: the second waits for the first and queues instead of failing', async () => {
  const [first, second] = await policy('concurrent', 2);
  assert.ok(first && second);
  let firstOpened: () => void = () => {};
  const opening = new Promise<void>((resolve) => {
    firstOpened = resolve;
  });
  // The first holds its transaction open until the second is blocked inside openExperiment, then commits.
  const one = db.transaction().execute(async (trx) => {
    const opened = await openExperiment(trx, first);
    firstOpened();
    await eventually('the second pass to wait on a lock', async () => {
      const waiting = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      return (waiting.rows[0]?.n ?? 0) > 0 ? true : undefined;
    });
    return opened;
  });
  await Promise.race([opening, one]);
  const two = db.transaction().execute((trx) => openExperiment(trx, second));
  const [a, b] = await Promise.all([one, two]);
  assert.equal(a.status, 'running');
  assert.equal(b.status, 'queued');
  assert.deepEqual(await statuses('concurrent'), [
    ['concurrent-e1', 'running'],
    ['concurrent-e2', 'queued'],
  ]);
});

test("another policy's running experiment does not queue a pass", async () => {
  const [pass] = await policy('elsewhere', 1);
  assert.ok(pass);
  assert.equal((await db.transaction().execute((trx) => openExperiment(trx, pass))).status, 'running');
});

test('the same candidate passing again (another replay of it) keeps its one experiment', async () => {
  const [pass] = await policy('again', 1);
  assert.ok(pass);
  const first = await db.transaction().execute((trx) => openExperiment(trx, pass));
  await db
    .insertInto('exp.gate_decisions')
    .values({
      decision_id: 'again-d1-rerun',
      replay_id: 'replay-again-d1-rerun',
      policy_version_id: pass.policyVersionId,
      outcome: 'passed',
      rules: '[]',
      config: '{}',
      config_version: 'c',
    })
    .execute();
  const second = await db
    .transaction()
    .execute((trx) => openExperiment(trx, { ...pass, experimentId: 'again-e2', decisionId: 'again-d1-rerun' }));
  assert.equal(first.opened, true);
  assert.deepEqual(second, { ...first, opened: false });
  assert.deepEqual(await statuses('again'), [['again-e1', 'running']]);
});
