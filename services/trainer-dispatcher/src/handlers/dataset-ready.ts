import type { HandlerContext } from '@planner/bus';
import type { DatasetReady } from '@planner/schemas';
import { queueTrainingJob } from '../queue-training-job.ts';
import type { TrainerTables } from '../tables.ts';
import type { TrainingRecipe } from '../training-recipes.ts';

export interface AutoTraining {
  /** Models whose new dataset versions are trained at once. */
  models: ReadonlySet<string>;
  recipe: TrainingRecipe;
  timeoutSeconds: number;
}

/**
 * Records the dataset version (so jobs can be asked for it later) and, when
 * auto-training is on for its model, queues one job per dataset version and
 * recipe: a repeated dataset.ready queues nothing new.
 */
export function datasetReadyHandler(auto: AutoTraining) {
  return async (event: DatasetReady, { trx }: HandlerContext<TrainerTables>): Promise<void> => {
    await trx
      .insertInto('exp.training_datasets')
      .values({
        dataset_version: event.dataset_version,
        model_name: event.model_name,
        location: event.location,
        digest: event.digest,
        row_count: event.row_count,
        mlflow_run_id: event.mlflow_run_id,
      })
      .onConflict((oc) =>
        oc.column('dataset_version').doUpdateSet({ location: event.location, digest: event.digest, row_count: event.row_count }),
      )
      .execute();
    if (!auto.models.has(event.model_name)) return;
    await queueTrainingJob(trx, {
      requestKey: `auto:${event.dataset_version}:${auto.recipe.recipe_id}`,
      datasetVersion: event.dataset_version,
      recipe: auto.recipe,
      modelName: event.model_name,
      policyId: event.model_name,
      correlationId: event.correlation_id,
      timeoutSeconds: auto.timeoutSeconds,
    });
  };
}
