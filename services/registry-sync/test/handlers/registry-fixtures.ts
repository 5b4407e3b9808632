import { DLT_HEADER } from '@planner/bus';
import { policyVersionIdOf } from '@planner/domain';
import { type MlflowClient, MlflowError, type ModelVersion } from '@planner/mlflow-client';
import type { TopicName } from '@planner/schemas';
import { eventually } from '../../../../scripts/local-lifecycle/eventually.ts';
import { type clientBus, deadLetterHeaders, groupCaughtUp } from '../../../../scripts/local-lifecycle/lifecycle-services.ts';

type Client = ReturnType<typeof clientBus>;

/** `count` READY versions (1..count) of a new registered model `name`, all from one finished run, with no tags. */
export async function registerVersions(mlflow: MlflowClient, name: string, count: number): Promise<string[]> {
  const experimentId = await mlflow.getOrCreateExperiment(`registry-sync-test-${name}`);
  const run = await mlflow.createRun({ experimentId, runName: 'registry-sync-test' });
  await mlflow.uploadArtifact(run.info.runId, 'model/MLmodel', 'artifact_path: model\nflavors: {}\n', 'text/yaml');
  await mlflow.updateRun(run.info.runId, 'FINISHED');
  await mlflow.createRegisteredModel(name);
  const versions: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await mlflow.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    versions.push((await mlflow.waitForModelVersionReady(name, created.version, 60_000)).version);
  }
  return versions;
}

/** The policy version id of `name` version `version`, as the promotion-gate makes them. */
export const policyVersion = (name: string, version: string) => policyVersionIdOf('planner', name, version);

/** The version the alias points at, or undefined while it is not set. */
export async function aliasTarget(mlflow: MlflowClient, name: string, alias: string): Promise<string | undefined> {
  try {
    return (await mlflow.getModelVersionByAlias(name, alias)).version;
  } catch (error) {
    if (error instanceof MlflowError && error.code === 'MLFLOW_NOT_FOUND') return undefined;
    throw error;
  }
}

/** What a registry change shows of a version: its tags and aliases. */
export async function registryState(mlflow: MlflowClient, name: string, version: string): Promise<Pick<ModelVersion, 'tags' | 'aliases'>> {
  const { tags, aliases } = await mlflow.getModelVersion(name, version);
  return { tags, aliases: [...aliases].sort() };
}

/** Waits until `group` has read `topic` to its end: every event published so far is handled (or dead-lettered). */
export async function caughtUp(client: Client, group: string, topic: TopicName): Promise<void> {
  await eventually(
    `${group} caught up on ${topic}`,
    async () => ((await groupCaughtUp(client.transport, group, topic)) ? true : undefined),
    60_000,
  );
}

/** The dead letter of the event `eventId`, as `<code>: <message>` with the attempts, once it is there. */
export async function deadLetterOf(client: Client, topic: TopicName, eventId: string) {
  const letter = await eventually(
    `the dead letter of ${eventId}`,
    async () => (await deadLetterHeaders(client.transport, topic)).find((h) => h[DLT_HEADER.eventId] === eventId),
    60_000,
  );
  return { reason: `${letter[DLT_HEADER.errorCode]}: ${letter[DLT_HEADER.errorMessage]}`, attempts: letter[DLT_HEADER.attempts] };
}

/** The dead letters of `eventIds` on `topic` so far. */
export async function deadLettersOf(client: Client, topic: TopicName, eventIds: readonly string[]): Promise<Record<string, string>[]> {
  return (await deadLetterHeaders(client.transport, topic)).filter((h) => eventIds.includes(h[DLT_HEADER.eventId] as string));
}
