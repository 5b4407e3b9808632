import type { EventBus, HandlerContext } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import type { TrainingCompleted } from '@planner/schemas';
import { registerRun } from '../model-registration.ts';
import type { RegistryTables } from '../tables.ts';

/** Registers the run of a finished training job; the dataset version is the one the job trained on, as the event names it. */
export function trainingCompletedHandler(deps: { mlflow: MlflowClient; bus: EventBus; modelName: string }) {
  return async (event: TrainingCompleted, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    await registerRun(deps, trx, {
      modelName: deps.modelName,
      runId: event.run_id,
      datasetVersion: event.dataset_version,
      correlationId: event.correlation_id,
    });
  };
}
