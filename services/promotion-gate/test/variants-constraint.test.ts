/**
 * The allocation invariants hold in the database itself, whatever code writes
 * the rows (issue 17, decision 0010): each bypass seen in the field is tried
 * with direct SQL and refused, naming the constraint.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDatabase, migrate } from '@planner/db';
import { ConfigReader } from '@planner/service-kit';
import type { Insertable, Kysely } from 'kysely';
import { isolatedLifecycle } from '../../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { useStack } from '../../../tests/support/stack.ts';
import { bootstrapBaseline } from '../src/baseline-policy.ts';
import { readGateConfig } from '../src/gate-config.ts';
import { type ExperimentStatus, type GateTables, gateMigrations, type PolicyStatus } from '../src/tables.ts';

const stack = useStack('postgres', 'kafka');
let life: Awaited<ReturnType<typeof isolatedLifecycle>>;
let db: Kysely<GateTables>;

type Variant = Pick<Insertable<GateTables['exp.variants']>, 'policy_version_id' | 'role' | 'allocation'>;

async function policyVersion(db: Kysely<GateTables>, policyId: string, id: string, version: number, status: PolicyStatus) {
  await db
    .insertInto('exp.policy_versions')
    .values({
      policy_version_id: id,
      policy_id: policyId,
      version,
      config_defaults: '{}',
      mlflow_model_name: null,
      mlflow_model_version: null,
      model_uri: null,
      dataset_version: null,
      status,
    })
    .execute();
}

async function decision(db: Kysely<GateTables>, id: string, policyVersionId: string, outcome: 'passed' | 'rejected') {
  await db
    .insertInto('exp.gate_decisions')
    .values({
      decision_id: id,
      replay_id: `replay-${id}`,
      policy_version_id: policyVersionId,
      outcome,
      rules: '[]',
      config: '{}',
      config_version: 'c',
    })
    .execute();
}

/**
 * A policy of its own per test, so one test's running experiment does not meet
 * another's: an active baseline, a candidate with a passed decision, a
 * candidate with a rejected one, and a version the gate never judged.
 */
async function policy(name: string) {
  const ids = {
    policyId: name,
    baseline: `${name}:baseline`,
    candidate: `${name}:v1`,
    rejected: `${name}:v2`,
    neverGated: `${name}:v3`,
    passed: `${name}-passed`,
    refused: `${name}-refused`,
  };
  await policyVersion(db, name, ids.baseline, 0, 'active');
  await policyVersion(db, name, ids.candidate, 1, 'candidate');
  await policyVersion(db, name, ids.rejected, 2, 'rejected');
  await policyVersion(db, name, ids.neverGated, 3, 'registered');
  await decision(db, ids.passed, ids.candidate, 'passed');
  await decision(db, ids.refused, ids.rejected, 'rejected');
  return ids;
}

/** An experiment and its variants in one transaction, as the gate writes them: the commit-time checks see the whole. */
async function experiment(
  db: Kysely<GateTables>,
  row: { id: string; policyId: string; decisionId: string; status?: ExperimentStatus; outcome?: 'passed' | 'rejected' },
  variants: Variant[],
) {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('exp.experiments')
      .values({
        experiment_id: row.id,
        policy_id: row.policyId,
        status: row.status ?? 'running',
        decision_id: row.decisionId,
        // Typed 'passed' for the code; direct SQL may write anything.
        ...(row.outcome ? { decision_outcome: row.outcome as 'passed' } : {}),
      })
      .execute();
    if (variants.length === 0) return;
    await trx
      .insertInto('exp.variants')
      .values(variants.map((v, i) => ({ ...v, variant_id: `${row.id}-${i}`, experiment_id: row.id })))
      .execute();
  });
}

const control = (policy_version_id: string, allocation: number): Variant => ({ policy_version_id, role: 'control', allocation });
const treatment = (policy_version_id: string, allocation: number): Variant => ({ policy_version_id, role: 'treatment', allocation });
const refusedBy = (constraint: string, code = '23514') => ({ code, constraint });

before(async () => {
  life = await isolatedLifecycle(stack, 'gate_db');
  db = createDatabase<GateTables>(life.databaseUrl);
  await migrate(db, 'promotion-gate', gateMigrations);
  await bootstrapBaseline(db, 'planner');
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
  const p = await policy('ten-percent');
  const row = { id: 'ten-percent-e1', policyId: p.policyId, decisionId: p.passed };
  await assert.rejects(
    experiment(db, row, [control(p.baseline, 0.8), treatment(p.candidate, 0.2)]),
    refusedBy('treatment_at_most_ten_percent'),
  );
  await experiment(db, row, [control(p.baseline, 0.9), treatment(p.candidate, 0.1)]);
});

test('a second treatment in one experiment is refused', async () => {
  const p = await policy('two-treatments');
  await assert.rejects(
    experiment(db, { id: 'two-treatments-e1', policyId: p.policyId, decisionId: p.passed }, [
      control(p.baseline, 0.85),
      treatment(p.candidate, 0.1),
      treatment(p.neverGated, 0.05),
    ]),
    refusedBy('one_variant_per_role', '23505'),
  );
});

test('the candidate inserted as control at 0.90 is refused: the control is the active version', async () => {
  const p = await policy('candidate-as-control');
  await assert.rejects(
    experiment(db, { id: 'candidate-as-control-e1', policyId: p.policyId, decisionId: p.passed }, [
      control(p.candidate, 0.9),
      treatment(p.candidate, 0.1),
    ]),
    refusedBy('experiment_control_is_the_active_version'),
  );
});

test('swapped roles are refused: the treatment is the candidate the decision passed', async () => {
  const p = await policy('swapped');
  const row = { id: 'swapped-e1', policyId: p.policyId, decisionId: p.passed };
  await assert.rejects(
    experiment(db, row, [control(p.candidate, 0.9), treatment(p.baseline, 0.1)]),
    refusedBy('experiment_treats_the_passed_candidate'),
  );
  await assert.rejects(
    experiment(db, row, [control(p.candidate, 0.1), treatment(p.baseline, 0.9)]),
    refusedBy('treatment_at_most_ten_percent'),
  );
});

test('allocations summing to 1.05 are refused', async () => {
  const p = await policy('sum');
  const row = { id: 'sum-e1', policyId: p.policyId, decisionId: p.passed };
  await assert.rejects(
    experiment(db, row, [control(p.baseline, 0.95), treatment(p.candidate, 0.1)]),
    refusedBy('experiment_allocations_sum_to_one'),
  );
  await assert.rejects(
    experiment(db, row, [control(p.baseline, 0.85), treatment(p.candidate, 0.1)]),
    refusedBy('experiment_allocations_sum_to_one'),
    'nor less than 1',
  );
});

test('an experiment on a rejected decision is refused', async () => {
  const p = await policy('rejected');
  const row = { id: 'rejected-e1', policyId: p.policyId, decisionId: p.refused };
  const variants = [control(p.baseline, 0.9), treatment(p.rejected, 0.1)];
  await assert.rejects(experiment(db, row, variants), refusedBy('experiment_on_a_passed_decision', '23503'));
  await assert.rejects(experiment(db, { ...row, outcome: 'rejected' }, variants), refusedBy('experiment_decision_outcome_is_passed'));
});

test('an experiment for a never-gated version is refused, at 100% and at 5%', async () => {
  const p = await policy('never-gated');
  const row = { id: 'never-gated-e1', policyId: p.policyId, decisionId: p.passed };
  await assert.rejects(
    experiment(db, row, [control(p.baseline, 0), treatment(p.neverGated, 1)]),
    refusedBy('treatment_at_most_ten_percent'),
  );
  await assert.rejects(
    experiment(db, row, [control(p.baseline, 0.95), treatment(p.neverGated, 0.05)]),
    refusedBy('experiment_treats_the_passed_candidate'),
    "on another version's decision",
  );
  // A decision written by hand for the never-gated version: the version is still no candidate.
  await decision(db, 'never-gated-forged', p.neverGated, 'passed');
  await assert.rejects(
    experiment(db, { ...row, decisionId: 'never-gated-forged' }, [control(p.baseline, 0.95), treatment(p.neverGated, 0.05)]),
    refusedBy('experiment_treats_the_passed_candidate'),
    'on a decision of its own',
  );
});

test('a second running experiment for the same policy is refused; a queued one is accepted', async () => {
  const p = await policy('second-running');
  await policyVersion(db, p.policyId, 'second-running:v4', 4, 'candidate');
  await decision(db, 'second-running-passed-v4', 'second-running:v4', 'passed');
  await experiment(db, { id: 'second-running-e1', policyId: p.policyId, decisionId: p.passed }, [
    control(p.baseline, 0.95),
    treatment(p.candidate, 0.05),
  ]);
  const second = { id: 'second-running-e2', policyId: p.policyId, decisionId: 'second-running-passed-v4' };
  const variants = [control(p.baseline, 0.95), treatment('second-running:v4', 0.05)];
  await assert.rejects(experiment(db, second, variants), refusedBy('one_live_experiment_per_policy', '23505'));
  await experiment(db, { ...second, status: 'queued' }, variants);
  await assert.rejects(
    db.updateTable('exp.experiments').set({ status: 'running' }).where('experiment_id', '=', second.id).execute(),
    refusedBy('one_live_experiment_per_policy', '23505'),
    'nor can it start while the first runs',
  );
});

test('an experiment with only a control, or with no variants, is refused', async () => {
  const p = await policy('control-only');
  const row = { id: 'control-only-e1', policyId: p.policyId, decisionId: p.passed };
  await assert.rejects(experiment(db, row, [control(p.baseline, 1)]), refusedBy('experiment_has_one_control_and_one_treatment'));
  await assert.rejects(experiment(db, row, []), refusedBy('experiment_has_one_control_and_one_treatment'));
});

test("removing a running experiment's treatment is refused", async () => {
  const p = await policy('remove-treatment');
  await experiment(db, { id: 'remove-treatment-e1', policyId: p.policyId, decisionId: p.passed }, [
    control(p.baseline, 0.95),
    treatment(p.candidate, 0.05),
  ]);
  await assert.rejects(
    db.deleteFrom('exp.variants').where('experiment_id', '=', 'remove-treatment-e1').where('role', '=', 'treatment').execute(),
    refusedBy('experiment_has_one_control_and_one_treatment'),
  );
});

test('configuration refuses an allocation above 10%, naming the variable', () => {
  const reader = new ConfigReader({ GATE_TREATMENT_ALLOCATION: '0.25' });
  readGateConfig(reader);
  assert.throws(() => reader.done(), /GATE_TREATMENT_ALLOCATION must be a number from 0\.0001 to 0\.1, got '0\.25'/);
});

test('the migration keeps the newest running experiment of each policy and stops the others', async () => {
  // The state users are in: a database migrated to 0001 where every gate pass started an experiment.
  const legacy = await isolatedLifecycle(stack, 'gate_legacy');
  const old = createDatabase<GateTables>(legacy.databaseUrl);
  try {
    const { '0001-policies-experiments-decisions': first } = gateMigrations;
    assert.ok(first);
    await migrate(old, 'promotion-gate', { '0001-policies-experiments-decisions': first });
    for (const policyId of ['planner', 'other']) {
      await policyVersion(old, policyId, `${policyId}:baseline`, 0, 'active');
      for (let n = 1; n <= (policyId === 'planner' ? 9 : 1); n++) {
        const version = `${policyId}:v${n}`;
        await policyVersion(old, policyId, version, n, 'candidate');
        await decision(old, `${policyId}-d${n}`, version, 'passed');
        await old
          .insertInto('exp.experiments')
          .values({ experiment_id: `${policyId}-e${n}`, policy_id: policyId, status: 'running', decision_id: `${policyId}-d${n}` })
          .execute();
        await old
          .insertInto('exp.variants')
          .values([
            { ...control(`${policyId}:baseline`, 0.95), variant_id: `${policyId}-e${n}-control`, experiment_id: `${policyId}-e${n}` },
            { ...treatment(version, 0.05), variant_id: `${policyId}-e${n}-treatment`, experiment_id: `${policyId}-e${n}` },
          ])
          .execute();
      }
    }
    await migrate(old, 'promotion-gate', gateMigrations);
    const experiments = await old.selectFrom('exp.experiments').select(['experiment_id', 'status']).orderBy('experiment_id').execute();
    assert.deepEqual(
      experiments.map((e) => [e.experiment_id, e.status]),
      [['other-e1', 'running'], ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => [`planner-e${n}`, 'stopped']), ['planner-e9', 'running']],
    );
  } finally {
    await old.destroy();
    await legacy.cleanup();
  }
});
