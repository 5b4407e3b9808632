import type { HandlerContext } from '@planner/bus';
import { datasetVersionOf, policyVersionIdOf } from '@planner/domain';
import type { DatasetReady, DatasetRequested, ModelRegistered, ReplayCompleted, TrainingCompleted } from '@planner/schemas';
import type { Kysely, Transaction } from 'kysely';
import { type LineageTables, recordFact } from './lineage-tables.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether the dataset-builder can build what was asked: a request it refuses
 * (a malformed date, an empty window) must not become the version's first
 * fact, which would hide the request it did build.
 */
export function buildableRequest(event: Pick<DatasetRequested, 'dataset_date' | 'window_start' | 'window_end'>): boolean {
  return (
    DATE.test(event.dataset_date) && !Number.isNaN(Date.parse(`${event.dataset_date}T00:00:00Z`)) && event.window_start < event.window_end
  );
}

const at = (event: { occurred_at: number }) => new Date(event.occurred_at);

/** dataset.requested: the window and split seed of a dataset version, keyed by that version. */
export async function datasetRequestedFact<DB extends LineageTables>(event: DatasetRequested, { trx }: HandlerContext<DB>): Promise<void> {
  if (!buildableRequest(event) || event.model_name === '' || event.model_name.includes('/')) return;
  await recordFact(trx, 'dataset_requested', datasetVersionOf(event.model_name, event.dataset_date), event, at(event));
}

/** dataset.ready: the built version's digest, location, rows and MLflow run, keyed by the version. */
export async function datasetReadyFact<DB extends LineageTables>(event: DatasetReady, { trx }: HandlerContext<DB>): Promise<void> {
  await recordFact(trx, 'dataset_ready', event.dataset_version, event, at(event));
}

/** training.completed: the job, its recipe and backend, keyed by its MLflow run (what model.registered names). */
export async function trainingCompletedFact<DB extends LineageTables>(
  event: TrainingCompleted,
  { trx }: HandlerContext<DB>,
): Promise<void> {
  await recordFact(trx, 'training_completed', event.run_id, event, at(event));
}

/** model.registered, keyed by the policy version it creates; call it from the gate's model.registered handler, in its transaction. */
export async function recordModelRegistered<DB extends LineageTables>(
  trx: Kysely<DB> | Transaction<DB>,
  event: ModelRegistered,
): Promise<void> {
  const key = policyVersionIdOf(event.policy_id ?? 'planner', event.model_name, event.model_version);
  await recordFact(trx, 'model_registered', key, event, at(event));
}

/** replay.completed, keyed by the replay; call it from the gate's replay.completed handler, in its transaction. */
export async function recordReplayCompleted<DB extends LineageTables>(
  trx: Kysely<DB> | Transaction<DB>,
  event: ReplayCompleted,
): Promise<void> {
  await recordFact(trx, 'replay_completed', event.replay_id, event, at(event));
}
