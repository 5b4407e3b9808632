/**
 * Seed §6.3 on the real stack: model.promoted from Kafka moves the MLflow
 * alias `production` and tags the promoted and the retired versions; a
 * redelivery changes nothing, a late older promotion does not move the alias
 * back, and a promotion of a version MLflow does not have is dead-lettered
 * with its reason.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import type { ModelPromoted } from '@planner/schemas';
import { eventually } from '../../../../scripts/local-lifecycle/eventually.ts';
import { clientBus } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../../tests/support/service-under-test.ts';
import { GROUPS } from '../../src/service.ts';
import { aliasTarget, caughtUp, deadLetterOf, deadLettersOf, policyVersion, registerVersions, registryState } from './registry-fixtures.ts';

// No polling: the versions registered here by hand are not the subject.
const service = serviceUnderTest('registry-sync', 'registry_promoted', { REGISTRY_POLL_SECONDS: '0' });
let client: ReturnType<typeof clientBus> | undefined;
/** The promotion-gate's side of the topic, made on first use (the environment exists once the suite started). */
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
    assert.deepEqual(await registerVersions(mlflow, name, 2), ['1', '2']);
  })());

after(async () => {
  await client?.transport.close();
});

function promotion(version: string, experimentId: string, retired: string | null): ModelPromoted {
  return gate().bus.event(
    'model.promoted',
    {
      model_name: name,
      model_version: version,
      policy_version_id: policyVersion(name, version),
      experiment_id: experimentId,
      retired_policy_version_id: retired === null ? null : policyVersion(name, retired),
    },
    `promotion-${experimentId}`,
  );
}

const published: Record<string, ModelPromoted> = {};

test('model.promoted points the production alias at the version and tags it stage=production, promoted_from_experiment', async () => {
  await ready();
  const first = promotion('1', 'experiment-0000000000000a01', null);
  published.first = first;
  await gate().bus.publish('model.promoted', first, name);
  await eventually('alias production on version 1', async () =>
    (await aliasTarget(mlflow, name, 'production')) === '1' ? true : undefined,
  );
  // The alias is the handler's first change; once the group has moved past the event, all of them are made.
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  assert.deepEqual(await registryState(mlflow, name, '1'), {
    tags: { stage: 'production', promoted_from_experiment: 'experiment-0000000000000a01' },
    aliases: ['production'],
  });
  assert.deepEqual(await registryState(mlflow, name, '2'), { tags: {}, aliases: [] });
});

test('a second promotion moves the alias to the new version and tags the version it retires stage=retired', async () => {
  await ready();
  const second = promotion('2', 'experiment-0000000000000a02', '1');
  published.second = second;
  await gate().bus.publish('model.promoted', second, name);
  await eventually('alias production on version 2', async () =>
    (await aliasTarget(mlflow, name, 'production')) === '2' ? true : undefined,
  );
  assert.equal((await mlflow.getModelVersionByAlias(name, 'production')).version, '2');
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  assert.deepEqual(await registryState(mlflow, name, '2'), {
    tags: { stage: 'production', promoted_from_experiment: 'experiment-0000000000000a02' },
    aliases: ['production'],
  });
  // The alias left version 1 by itself; its promotion tag stays as the record of how it got there.
  assert.deepEqual(await registryState(mlflow, name, '1'), {
    tags: { stage: 'retired', promoted_from_experiment: 'experiment-0000000000000a01' },
    aliases: [],
  });
  const [row] = await service.query('select model_version, event_id from exp.registry_promotions where model_name = $1', [name]);
  assert.deepEqual(row, { model_version: '2', event_id: second.event_id });
});

test('a redelivered model.promoted changes nothing; an older promotion arriving late does not move the alias back', async () => {
  await ready();
  const { first, second } = published as { first: ModelPromoted; second: ModelPromoted };
  // Everything MLflow shows of both versions, update times included.
  const versions = async () => ({ v1: await mlflow.getModelVersion(name, '1'), v2: await mlflow.getModelVersion(name, '2') });
  const earlier = await versions();
  const sent = [
    second, // the same event again: the inbox knows its id, the handler does not run
    { ...second, event_id: randomUUID() }, // the producer sending it again: the handler sets the same values
    { ...first, event_id: randomUUID() }, // the first promotion, re-sent after the second: older, not applied
    first,
  ];
  for (const event of sent) await gate().bus.publish('model.promoted', event, name);
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  assert.deepEqual(await versions(), earlier);
  assert.equal(await aliasTarget(mlflow, name, 'production'), '2');
  assert.deepEqual(
    await deadLettersOf(
      gate(),
      'model.promoted',
      sent.map((e) => e.event_id),
    ),
    [],
  );
});

test('a retired policy version MLflow has no version of does not hold up the promotion', async () => {
  await ready();
  const again = promotion('2', 'experiment-0000000000000a02', '98');
  await gate().bus.publish('model.promoted', again, name);
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  assert.deepEqual(await deadLettersOf(gate(), 'model.promoted', [again.event_id]), []);
  assert.equal(await aliasTarget(mlflow, name, 'production'), '2');
  const [row] = await service.query('select event_id from exp.registry_promotions where model_name = $1', [name]);
  assert.deepEqual(row, { event_id: again.event_id });
});

test('a promotion of a version MLflow does not have, or naming two versions, is dead-lettered at once with the reason; the alias stays', async () => {
  await ready();
  const missing = promotion('99', 'experiment-0000000000000a03', '2');
  const inconsistent = { ...promotion('1', 'experiment-0000000000000a04', '2'), policy_version_id: policyVersion(name, '3') };
  await gate().bus.publish('model.promoted', missing, name);
  await gate().bus.publish('model.promoted', inconsistent, name);
  assert.deepEqual(await deadLetterOf(gate(), 'model.promoted', missing.event_id), {
    reason: `MODEL_VERSION_NOT_FOUND: model.promoted of ${policyVersion(name, '99')}: the MLflow registry has no version 99 of model ${name}`,
    attempts: '1',
  });
  assert.deepEqual(await deadLetterOf(gate(), 'model.promoted', inconsistent.event_id), {
    reason: `PROMOTION_INCONSISTENT: model.promoted of ${policyVersion(name, '3')}: the policy version names model ${name} version 3, the event promotes ${name} version 1`,
    attempts: '1',
  });
  await caughtUp(gate(), GROUPS.modelPromoted, 'model.promoted');
  assert.equal(await aliasTarget(mlflow, name, 'production'), '2');
  assert.equal((await registryState(mlflow, name, '2')).tags.stage, 'production');
  assert.equal((await registryState(mlflow, name, '1')).tags.stage, 'retired');
});
