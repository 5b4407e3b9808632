import { randomUUID } from 'node:crypto';
import { storedTraceContext } from '@planner/telemetry';
import type { Transaction } from 'kysely';
import type { TrainerTables } from './tables.ts';
import type { TrainingRecipe } from './training-recipes.ts';

export interface JobRequest {
  requestKey: string;
  datasetVersion: string;
  recipe: TrainingRecipe;
  modelName: string;
  policyId: string;
  correlationId: string;
  timeoutSeconds: number;
}

/**
 * Queues a job, or returns the one already queued under the same request key
 * (so redelivery trains once). The job keeps the active trace context (the
 * dataset.ready handler's or the HTTP request's), for its runs to continue.
 */
export async function queueTrainingJob<DB extends TrainerTables>(
  trx: Transaction<DB>,
  request: JobRequest,
): Promise<{ jobId: string; created: boolean }> {
  const db = trx as unknown as Transaction<TrainerTables>;
  const inserted = await db
    .insertInto('exp.training_jobs')
    .values({
      job_id: randomUUID(),
      request_key: request.requestKey,
      dataset_version: request.datasetVersion,
      recipe_id: request.recipe.recipe_id,
      recipe: JSON.stringify(request.recipe),
      backend: request.recipe.backend,
      model_name: request.modelName,
      policy_id: request.policyId,
      status: 'queued',
      correlation_id: request.correlationId,
      mlflow_run_id: null,
      timeout_seconds: request.timeoutSeconds,
      exit_code: null,
      error_code: null,
      error_message: null,
      started_at: null,
      heartbeat_at: null,
      finished_at: null,
      ...storedTraceContext(),
    })
    .onConflict((oc) => oc.column('request_key').doNothing())
    .returning('job_id')
    .executeTakeFirst();
  if (inserted) return { jobId: inserted.job_id, created: true };
  const existing = await db
    .selectFrom('exp.training_jobs')
    .select('job_id')
    .where('request_key', '=', request.requestKey)
    .executeTakeFirstOrThrow();
  return { jobId: existing.job_id, created: false };
}
