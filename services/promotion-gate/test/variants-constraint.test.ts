/** The ≤10% rule holds in the database itself, whatever code writes the variants. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDatabase, migrate } from '@planner/db';
import { ConfigReader } from '@planner/service-kit';
import type { Kysely } from 'kysely';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { bootstrapBaseline } from '../src/baseline-policy.ts';
import { readGateConfig } from '../src/gate-config.ts';
import { type GateTables, gateMigrations } from '../src/tables.ts';

const stack = useStack('postgres', 'kafka');
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<GateTables>;

before(async () => {
  life = await isolatedLifecycle(stack, 'gate_db');
  db = createDatabase<GateTables>(life.databaseUrl);
  await migrate(db, 'promotion-gate', gateMigrations);
  await bootstrapBaseline(db, 'planner');
  await db
    .insertInto('exp.gate_decisions')
    .values({
      decision_id: 'd1',
      replay_id: 'r1',
      policy_version_id: 'heuristic-baseline-v1',
      outcome: 'passed',
      rules: '[]',
      config: '{}',
      config_version: 'c',
    })
    .execute();
  await db
    .insertInto('exp.experiments')
    .values({ experiment_id: 'e1', policy_id: 'planner', status: 'running', decision_id: 'd1' })
    .execute();
});

after(async () => {
  await db?.destroy();
  await life?.cleanup();
});

test('a fresh system serves the heuristic baseline as its active policy version', async () => {
  const rows = await db.selectFrom('exp.policy_versions').selectAll().execute();
  assert.deepEqual(
    rows.map((r) => [r.policy_version_id, r.status, r.version]),
    [['heuristic-baseline-v1', 'active', 0]],
  );
  await bootstrapBaseline(db, 'planner');
  assert.equal((await db.selectFrom('exp.policy_versions').selectAll().execute()).length, 1, 'bootstrapping twice adds nothing');
});

test('the database refuses a treatment above 10% and accepts 10%', async () => {
  const variant = (id: string, allocation: number) => ({
    variant_id: id,
    experiment_id: 'e1',
    policy_version_id: 'heuristic-baseline-v1',
    role: 'treatment' as const,
    allocation,
  });
  await assert.rejects(db.insertInto('exp.variants').values(variant('v-20', 0.2)).execute(), /treatment_at_most_ten_percent/);
  await db.insertInto('exp.variants').values(variant('v-10', 0.1)).execute();
});

test('configuration refuses an allocation above 10%, naming the variable', () => {
  const reader = new ConfigReader({ GATE_TREATMENT_ALLOCATION: '0.25' });
  readGateConfig(reader);
  assert.throws(() => reader.done(), /GATE_TREATMENT_ALLOCATION must be a number from 0\.0001 to 0\.1, got '0\.25'/);
});
