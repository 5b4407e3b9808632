import type { EventBus, HandlerContext } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import type { TrainingCompleted } from '@planner/schemas';
import { registerRun } from '../model-registration.ts';
import type { RegistryTables } from '../tables.ts';

export function trainingCompletedHandler(deps: { mlflow: MlflowClient; bus: EventBus; modelName: string }) {
  return async (event: TrainingCompleted, { trx }: HandlerContext<RegistryTables>): Promise<void> => {
    await registerRun(deps, trx, deps.modelName, event.run_id, event.correlation_id);
  };
}
