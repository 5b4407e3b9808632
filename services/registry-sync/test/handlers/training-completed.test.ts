/**
 * Registration from training.completed on the real stack: the dataset version
 * the registry and model.registered carry is the one the event names (the
 * job's), not one read back from the run; a run that logged another one is
 * rejected, naming both.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import type { TrainingCompleted } from '@planner/schemas';
import { eventually } from '../../../../scripts/local-lifecycle/eventually.ts';
import { clientBus, readTopic } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';
import { serviceUnderTest } from '../../../../tests/support/service-under-test.ts';

const service = serviceUnderTest('registry-sync', 'registry_training', { REGISTRY_POLL_SECONDS: '0' });
let client: ReturnType<typeof clientBus> | undefined;
const trainer = () => (client ??= clientBus(service.env(), 'trainer-dispatcher'));
const mlflow = () => new MlflowClient(mlflowConfigFromEnv(service.env()));

after(async () => {
  await client?.transport.close();
});

/** A finished run that honours the logging contract, trained (it says) on `datasetVersion`. */
async function trainingRun(datasetVersion: string): Promise<string> {
  const experimentId = await mlflow().getOrCreateExperiment(`registry-sync-test-${service.env().REGISTERED_MODEL_NAME}`);
  const { runId } = (
    await mlflow().createRun({
      experimentId,
      runName: 'training',
      tags: { task: 'planner', dataset_version: datasetVersion, policy_id: 'planner' },
    })
  ).info;
  await mlflow().logBatch(runId, {
    params: { learning_rate: '0.01', batch_size: '32', epochs: '2', dataset_version: datasetVersion, model_architecture: 'ranker' },
    metrics: [
      { key: 'training_loss', value: 0.31 },
      { key: 'validation_loss', value: 0.35 },
    ],
  });
  await mlflow().uploadArtifact(runId, 'model/MLmodel', 'artifact_path: model\nflavors: {}\n', 'text/yaml');
  await mlflow().uploadArtifact(runId, 'tokenizer/tokenizer.json', '{}', 'application/json');
  await mlflow().uploadArtifact(runId, 'config/config.json', '{}', 'application/json');
  await mlflow().updateRun(runId, 'FINISHED');
  return runId;
}

function completed(runId: string, datasetVersion: string): TrainingCompleted {
  return trainer().bus.event(
    'training.completed',
    {
      job_id: `job-${randomUUID()}`,
      run_id: runId,
      dataset_version: datasetVersion,
      recipe: 'ranker-cpu@1',
      backend: 'local',
      duration_seconds: 12,
    },
    `training-${runId}`,
  );
}

test("the registered version and model.registered carry training.completed's dataset version", async () => {
  const runId = await trainingRun('planner/2026-11-26');
  await trainer().bus.publish('training.completed', completed(runId, 'planner/2026-11-26'), runId);
  const { event } = await eventually(
    'model.registered of the run',
    async () => (await readTopic(trainer().transport, 'model.registered')).find((m) => m.event.run_id === runId),
    60_000,
  );
  assert.equal(event.dataset_version, 'planner/2026-11-26');
  const version = await mlflow().getModelVersion(event.model_name, event.model_version);
  assert.equal(version.tags.dataset_version, 'planner/2026-11-26');
});

test('a run that logged another dataset version than the job trained on is rejected, naming both', async () => {
  const runId = await trainingRun('planner/2026-11-20');
  await trainer().bus.publish('training.completed', completed(runId, 'planner/2026-11-26'), runId);
  const { event } = await eventually(
    'model.rejected of the run',
    async () => (await readTopic(trainer().transport, 'model.rejected')).find((m) => m.event.run_id === runId),
    60_000,
  );
  assert.equal(event.dataset_version, 'planner/2026-11-26');
  assert.deepEqual(event.missing, ["tags.dataset_version=planner/2026-11-26 (found 'planner/2026-11-20')"]);
});
