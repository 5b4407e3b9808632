/**
 * Seed §6.3 on the real stack: experiment.rolled_back from Kafka tags the
 * candidate's model version stage=rolled_back with its experiment and every
 * reason (the candidate alias: gate-decisions.test.ts); a redelivery
 * changes nothing; the heuristic baseline needs nothing; a rollback older
 * than the version's promotion is not applied; a version MLflow does not
 * have is dead-lettered with its reason.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { BASELINE_POLICY_VERSION } from '@planner/domain';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import type { ExperimentRolledBack } from '@planner/schemas';
import { eventually } from '../../../../scripts/local-lifecycle/eventually.ts';
import { clientBus } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../../tests/support/service-under-test.ts';
import { GROUPS } from '../../src/service.ts';
import { aliasTarget, caughtUp, deadLetterOf, deadLettersOf, policyVersion, registerVersions, registryState } from './registry-fixtures.ts';

const service = serviceUnderTest('registry-sync', 'registry_rolled_back', { REGISTRY_POLL_SECONDS: '0' });
let client: ReturnType<typeof clientBus> | undefined;
const gate = () => (client ??= clientBus(service.env(), 'promotion-gate'));
let mlflow: MlflowClient;
let name: string;
let registered: Promise<void> | undefined;
/**
 * The model's versions, registered on first use: node:test runs top-level
 * before hooks side by side, so this cannot be one (the service's environment
 * does not exist yet).
 */
const ready = () =>
  (registered ??= (async () => {
    mlflow = new MlflowClient(mlflowConfigFromEnv(service.env()));
    name = service.env().REGISTERED_MODEL_NAME as string;
    assert.deepEqual(await registerVersions(mlflow, name, 3), ['1', '2', '3']);
  })());

after(async () => {
  await client?.transport.close();
});

function rollback(policyVersionId: string, reasons: string[]): ExperimentRolledBack {
  const experimentId = `experiment-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  return gate().bus.event(
    'experiment.rolled_back',
    { experiment_id: experimentId, treatment_variant_id: `${experimentId}-treatment`, policy_version_id: policyVersionId, reasons },
    `rollback-${experimentId}`,
  );
}

const REASONS = ['guardrail latency_p95_ms breached: 812 ms against 600 ms', 'sample ratio mismatch: p = 0.0004 < 0.001'];

test('experiment.rolled_back tags the version stage=rolled_back with its experiment and every reason; a redelivery changes nothing', async () => {
  await ready();
  const event = rollback(policyVersion(name, '1'), REASONS);
  await gate().bus.publish('experiment.rolled_back', event, name);
  // rollback_reason is the handler's last change.
  const tags = await eventually('version 1 rolled back', async () => {
    const state = await registryState(mlflow, name, '1');
    return state.tags.rollback_reason === undefined ? undefined : state.tags;
  });
  assert.deepEqual(tags, {
    stage: 'rolled_back',
    rolled_back_experiment: event.experiment_id,
    rollback_reason: 'guardrail latency_p95_ms breached: 812 ms against 600 ms; sample ratio mismatch: p = 0.0004 < 0.001',
  });

  const earlier = await mlflow.getModelVersion(name, '1');
  await gate().bus.publish('experiment.rolled_back', event, name); // the same event: the inbox knows it
  await gate().bus.publish('experiment.rolled_back', { ...event, event_id: randomUUID() }, name); // sent again: the same values
  await caughtUp(gate(), GROUPS.experimentRolledBack, 'experiment.rolled_back');
  // Everything MLflow shows of the version, its update time included.
  assert.deepEqual(await mlflow.getModelVersion(name, '1'), earlier);
});

test('reasons longer than a tag value carries here are cut to 5000 characters, the last one …', async () => {
  await ready();
  const event = rollback(policyVersion(name, '2'), ['x'.repeat(3000), 'y'.repeat(3000)]);
  await gate().bus.publish('experiment.rolled_back', event, name);
  const reason = await eventually('version 2 rolled back', async () => {
    const state = await registryState(mlflow, name, '2');
    return state.tags.rollback_reason;
  });
  assert.equal((await registryState(mlflow, name, '2')).tags.stage, 'rolled_back');
  // 3000 x, '; ', 1997 y and '…': 5000 characters.
  assert.equal(reason?.length, 5000);
  assert.ok(reason === `${'x'.repeat(3000)}; ${'y'.repeat(1997)}…`, 'the reasons joined, then cut');
});

test('a rollback of the heuristic baseline has no model version to tag: handled, nothing changed, nothing dead-lettered', async () => {
  await ready();
  const event = rollback(BASELINE_POLICY_VERSION, ['manual rollback by an operator']);
  const earlier = await registryState(mlflow, name, '3');
  await gate().bus.publish('experiment.rolled_back', event, name);
  await caughtUp(gate(), GROUPS.experimentRolledBack, 'experiment.rolled_back');
  assert.deepEqual(await deadLettersOf(gate(), 'experiment.rolled_back', [event.event_id]), []);
  assert.deepEqual(await registryState(mlflow, name, '3'), earlier);
});

test('a rollback older than the promotion of the same version to production is not applied', async () => {
  await ready();
  const promoted = gate().bus.event(
    'model.promoted',
    {
      model_name: name,
      model_version: '3',
      policy_version_id: policyVersion(name, '3'),
      experiment_id: 'experiment-0000000000000b03',
      retired_policy_version_id: null,
    },
    'promotion-b03',
  );
  await gate().bus.publish('model.promoted', promoted, name);
  await eventually('alias production on version 3', async () =>
    (await aliasTarget(mlflow, name, 'production')) === '3' ? true : undefined,
  );
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  const late = {
    ...rollback(policyVersion(name, '3'), ['an earlier experiment of the same version']),
    occurred_at: promoted.occurred_at - 60_000,
  };
  await gate().bus.publish('experiment.rolled_back', late, name);
  await caughtUp(gate(), GROUPS.experimentRolledBack, 'experiment.rolled_back');
  assert.deepEqual(await registryState(mlflow, name, '3'), {
    tags: { stage: 'production', promoted_from_experiment: 'experiment-0000000000000b03' },
    aliases: ['production'],
  });
});

test('a rollback naming a version MLflow does not have is dead-lettered at once with the reason', async () => {
  await ready();
  const event = rollback(policyVersion(name, '97'), REASONS);
  await gate().bus.publish('experiment.rolled_back', event, name);
  assert.deepEqual(await deadLetterOf(gate(), 'experiment.rolled_back', event.event_id), {
    reason: `MODEL_VERSION_NOT_FOUND: experiment.rolled_back of ${policyVersion(name, '97')}: the MLflow registry has no version 97 of model ${name}`,
    attempts: '1',
  });
});
