import type { BusTables, EventBus } from '@planner/bus';
import { modelVersionUri } from '@planner/domain';
import type { MlflowClient, MlflowRun, ModelVersion } from '@planner/mlflow-client';
import { type Kysely, sql, type Transaction } from 'kysely';
import { contractViolations, nonEmptyArtifactFolders } from './logging-contract.ts';
import type { RegistryTables } from './tables.ts';

type Trx = Transaction<RegistryTables & BusTables> | Kysely<RegistryTables & BusTables>;

const READY_TIMEOUT_MS = 120_000;

/**
 * Serialises registry writes for one model across replicas and the poller:
 * a transaction-scoped advisory lock, released when the caller's transaction
 * ends, after the version is recorded.
 */
export async function lockModel(trx: Trx, modelName: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`registry-sync:${modelName}`}))`.execute(trx);
}

/**
 * The dataset version a run says it trained on (its tag, else its param), for
 * versions registered outside the pipeline; the pipeline's own come with
 * training.completed, which names it.
 */
export function datasetVersionOf(run: MlflowRun): string | null {
  return run.tags.dataset_version ?? run.params.dataset_version ?? null;
}

/** The problem when the run says it trained on another dataset version than training.completed does. */
function datasetMismatch(run: MlflowRun, datasetVersion: string): string[] {
  const logged = datasetVersionOf(run);
  return logged !== null && logged !== datasetVersion ? [`tags.dataset_version=${datasetVersion} (found '${logged}')`] : [];
}

export interface Outcome {
  outcome: 'registered' | 'rejected';
  version?: string;
  missing: string[];
}

/**
 * Checks a finished run against the logging contract and, when it holds,
 * makes sure exactly one version of `modelName` exists for it, waits until
 * it is READY and announces it; otherwise announces the rejection with every
 * missing item. `datasetVersion` is the one training.completed names; a run
 * that logged another one is rejected. Idempotent: a version that already
 * exists for the run is reused, and a version already announced is not
 * announced again.
 */
export async function registerRun(
  deps: { mlflow: MlflowClient; bus: EventBus },
  trx: Trx,
  request: { modelName: string; runId: string; datasetVersion: string; correlationId: string },
): Promise<Outcome> {
  const { mlflow, bus } = deps;
  const { modelName, runId, datasetVersion, correlationId } = request;
  const run = await mlflow.getRun(runId);
  const missing = [...contractViolations(run, await nonEmptyArtifactFolders(mlflow, runId)), ...datasetMismatch(run, datasetVersion)];
  if (missing.length > 0) {
    const event = bus.event(
      'model.rejected',
      { run_id: runId, model_name: modelName, dataset_version: datasetVersion, missing },
      correlationId,
    );
    await bus.enqueue(trx, 'model.rejected', event, runId);
    return { outcome: 'rejected', missing };
  }

  await lockModel(trx, modelName);
  const [existing] = await mlflow.searchModelVersions(`name='${modelName}' and run_id='${runId}'`);
  let version: ModelVersion;
  if (existing) {
    version = existing;
  } else {
    await mlflow.createRegisteredModel(modelName);
    version = await mlflow.createModelVersion({
      name: modelName,
      source: `${run.info.artifactUri}/model`,
      runId,
      tags: { dataset_version: datasetVersion, registered_by: 'registry-sync' },
    });
  }
  await mlflow.waitForModelVersionReady(modelName, version.version, READY_TIMEOUT_MS);
  await announce(bus, trx, { modelName, version: version.version, run, datasetVersion, origin: 'pipeline', correlationId });
  return { outcome: 'registered', version: version.version, missing: [] };
}

/** Records a READY version and publishes model.registered, unless it was announced before. */
export async function announce(
  bus: EventBus,
  trx: Trx,
  input: {
    modelName: string;
    version: string;
    run: MlflowRun;
    datasetVersion: string;
    origin: 'pipeline' | 'outside';
    correlationId: string;
  },
): Promise<boolean> {
  const { datasetVersion } = input;
  const recorded = await trx
    .insertInto('exp.registry_versions')
    .values({
      model_name: input.modelName,
      model_version: input.version,
      run_id: input.run.info.runId,
      dataset_version: datasetVersion,
      origin: input.origin,
      outcome: 'registered',
      missing: [],
    })
    .onConflict((oc) => oc.columns(['model_name', 'model_version']).doNothing())
    .returning('model_version')
    .executeTakeFirst();
  if (!recorded) return false;
  const event = bus.event(
    'model.registered',
    {
      model_name: input.modelName,
      model_version: input.version,
      model_uri: modelVersionUri(input.modelName, input.version),
      run_id: input.run.info.runId,
      dataset_version: datasetVersion,
      policy_id: input.run.tags.policy_id ?? null,
      registered_outside_pipeline: input.origin === 'outside',
    },
    input.correlationId,
  );
  await bus.enqueue(trx, 'model.registered', event, `${input.modelName}/${input.version}`);
  return true;
}
