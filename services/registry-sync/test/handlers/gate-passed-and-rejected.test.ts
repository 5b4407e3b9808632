/**
 * Seed §6.1 on the real stack: the gate's decisions in the MLflow registry.
 * gate.passed tags the version stage=candidate with its decision and points
 * the alias `candidate` at it; gate.rejected tags stage=rejected with the
 * decision and every failed rule; the candidate alias leaves a version when
 * its experiment ends (promoted or rolled back); a version already online
 * keeps its stage whatever a later replay decides.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import type { GatePassed, GateRejected, RuleOutcome } from '@planner/schemas';
import { eventually } from '../../../../scripts/local-lifecycle/eventually.ts';
import { clientBus } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../../tests/support/service-under-test.ts';
import { GROUPS } from '../../src/service.ts';
import { aliasTarget, caughtUp, deadLetterOf, deadLettersOf, policyVersion, registerVersions, registryState } from './registry-fixtures.ts';

const service = serviceUnderTest('registry-sync', 'registry_gate', { REGISTRY_POLL_SECONDS: '0' });
let client: ReturnType<typeof clientBus> | undefined;
const gate = () => (client ??= clientBus(service.env(), 'promotion-gate'));
let mlflow: MlflowClient;
let name: string;
let registered: Promise<void> | undefined;
/** The model's versions, registered on first use (the service's environment exists once the suite started). */
const ready = () =>
  (registered ??= (async () => {
    mlflow = new MlflowClient(mlflowConfigFromEnv(service.env()));
    name = service.env().REGISTERED_MODEL_NAME as string;
    assert.deepEqual(await registerVersions(mlflow, name, 4), ['1', '2', '3', '4']);
  })());

after(async () => {
  await client?.transport.close();
});

const PASSED: RuleOutcome[] = [{ rule: 'offline_score_not_below_baseline', passed: true, detail: '0.72 >= 0.64' }];
const FAILED: RuleOutcome[] = [
  { rule: 'offline_score_not_below_baseline', passed: true, detail: '0.66 >= 0.64' },
  { rule: 'constraint_respect_is_100_percent', passed: false, detail: '17 violations in 1429 rows (allergens)' },
  { rule: 'plan_alignment_not_worse', passed: false, detail: 'difference -0.04, 95% CI [-0.06, -0.02]' },
];

function passed(version: string, decisionId: string): GatePassed {
  return gate().bus.event(
    'gate.passed',
    {
      decision_id: decisionId,
      replay_id: `replay-${decisionId}`,
      model_name: name,
      model_version: version,
      policy_version_id: policyVersion(name, version),
      experiment_id: `experiment-${decisionId}`,
      treatment_variant_id: `experiment-${decisionId}-treatment`,
      treatment_allocation: 0.1,
      rules: PASSED,
      config_version: 'gate-v1',
    },
    `gate-${decisionId}`,
  );
}

function rejected(version: string, decisionId: string): GateRejected {
  return gate().bus.event(
    'gate.rejected',
    {
      decision_id: decisionId,
      replay_id: `replay-${decisionId}`,
      model_name: name,
      model_version: version,
      policy_version_id: policyVersion(name, version),
      rules: FAILED,
      config_version: 'gate-v1',
    },
    `gate-${decisionId}`,
  );
}

const REJECTION_REASON =
  'constraint_respect_is_100_percent: 17 violations in 1429 rows (allergens); plan_alignment_not_worse: difference -0.04, 95% CI [-0.06, -0.02]';

test('gate.passed tags the version stage=candidate with its decision, and models:/<model>@candidate resolves to it', async () => {
  await ready();
  await gate().bus.publish('gate.passed', passed('1', 'decision-a1'), name);
  // The alias is the handler's last change.
  await eventually('alias candidate on version 1', async () => ((await aliasTarget(mlflow, name, 'candidate')) === '1' ? true : undefined));
  assert.deepEqual(await registryState(mlflow, name, '1'), {
    tags: { stage: 'candidate', gate_decision_id: 'decision-a1' },
    aliases: ['candidate'],
  });
});

test('gate.rejected tags the version stage=rejected with its decision and every failed rule; the candidate keeps its alias', async () => {
  await ready();
  await gate().bus.publish('gate.rejected', rejected('2', 'decision-a2'), name);
  const state = await eventually('version 2 rejected', async () => {
    const current = await registryState(mlflow, name, '2');
    return current.tags.rejection_reason === undefined ? undefined : current;
  });
  assert.deepEqual(state, {
    tags: { stage: 'rejected', gate_decision_id: 'decision-a2', rejection_reason: REJECTION_REASON },
    aliases: [],
  });
  assert.equal(await aliasTarget(mlflow, name, 'candidate'), '1');
});

test('a later replay rejecting a candidate in its experiment changes nothing: its life is decided online', async () => {
  await ready();
  const earlier = await mlflow.getModelVersion(name, '1');
  const event = rejected('1', 'decision-a3');
  await gate().bus.publish('gate.rejected', event, name);
  await caughtUp(gate(), GROUPS.gateRejected, 'gate.rejected');
  assert.deepEqual(await deadLettersOf(gate(), 'gate.rejected', [event.event_id]), []);
  assert.deepEqual(await mlflow.getModelVersion(name, '1'), earlier);
});

test('a rejected version that passes a later replay becomes the candidate: alias moved, rejection reason gone', async () => {
  await ready();
  await gate().bus.publish('gate.passed', passed('2', 'decision-a4'), name);
  await eventually('alias candidate on version 2', async () => ((await aliasTarget(mlflow, name, 'candidate')) === '2' ? true : undefined));
  assert.deepEqual(await registryState(mlflow, name, '2'), {
    tags: { stage: 'candidate', gate_decision_id: 'decision-a4' },
    aliases: ['candidate'],
  });
  assert.deepEqual((await registryState(mlflow, name, '1')).aliases, []);
});

test('promotion takes the candidate alias off the promoted version; a late gate.passed does not bring it back', async () => {
  await ready();
  const promoted = gate().bus.event(
    'model.promoted',
    {
      model_name: name,
      model_version: '2',
      policy_version_id: policyVersion(name, '2'),
      experiment_id: 'experiment-decision-a4',
      retired_policy_version_id: null,
    },
    'promotion-a4',
  );
  await gate().bus.publish('model.promoted', promoted, name);
  await eventually('alias production on version 2', async () =>
    (await aliasTarget(mlflow, name, 'production')) === '2' ? true : undefined,
  );
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  assert.equal(await aliasTarget(mlflow, name, 'candidate'), undefined);
  assert.deepEqual(await registryState(mlflow, name, '2'), {
    tags: { stage: 'production', gate_decision_id: 'decision-a4', promoted_from_experiment: 'experiment-decision-a4' },
    aliases: ['production'],
  });

  await gate().bus.publish('gate.passed', passed('2', 'decision-a5'), name);
  await caughtUp(gate(), GROUPS.gatePassed, 'gate.passed');
  assert.equal(await aliasTarget(mlflow, name, 'candidate'), undefined);
  assert.equal((await registryState(mlflow, name, '2')).tags.stage, 'production');
});

test('a rollback takes the candidate alias off the rolled-back version and names its experiment; a newer candidate keeps it', async () => {
  await ready();
  await gate().bus.publish('gate.passed', passed('3', 'decision-a6'), name);
  await eventually('alias candidate on version 3', async () => ((await aliasTarget(mlflow, name, 'candidate')) === '3' ? true : undefined));
  const rollback = (version: string, experimentId: string) =>
    gate().bus.event(
      'experiment.rolled_back',
      {
        experiment_id: experimentId,
        treatment_variant_id: `${experimentId}-treatment`,
        policy_version_id: policyVersion(name, version),
        reasons: ['guardrail latency_p95_ms breached', 'decision decision-r1 by experiment-monitor'],
      },
      `rollback-${experimentId}`,
    );
  await gate().bus.publish('experiment.rolled_back', rollback('3', 'experiment-decision-a6'), name);
  await eventually('alias candidate off version 3', async () =>
    (await aliasTarget(mlflow, name, 'candidate')) === undefined ? true : undefined,
  );
  assert.deepEqual(await registryState(mlflow, name, '3'), {
    tags: {
      stage: 'rolled_back',
      gate_decision_id: 'decision-a6',
      rolled_back_experiment: 'experiment-decision-a6',
      rollback_reason: 'guardrail latency_p95_ms breached; decision decision-r1 by experiment-monitor',
    },
    aliases: [],
  });

  await gate().bus.publish('gate.passed', passed('4', 'decision-a7'), name);
  await eventually('alias candidate on version 4', async () => ((await aliasTarget(mlflow, name, 'candidate')) === '4' ? true : undefined));
  await gate().bus.publish('experiment.rolled_back', rollback('1', 'experiment-decision-a1'), name);
  await eventually('version 1 rolled back', async () =>
    (await registryState(mlflow, name, '1')).tags.stage === 'rolled_back' ? true : undefined,
  );
  await caughtUp(gate(), GROUPS.experimentRolledBack, 'experiment.rolled_back');
  assert.equal(await aliasTarget(mlflow, name, 'candidate'), '4');
});

test('a decision naming a version MLflow does not have is dead-lettered at once with the reason', async () => {
  await ready();
  const event = rejected('99', 'decision-a8');
  await gate().bus.publish('gate.rejected', event, name);
  assert.deepEqual(await deadLetterOf(gate(), 'gate.rejected', event.event_id), {
    reason: `MODEL_VERSION_NOT_FOUND: gate.rejected of ${policyVersion(name, '99')}: the MLflow registry has no version 99 of model ${name}`,
    attempts: '1',
  });
});
