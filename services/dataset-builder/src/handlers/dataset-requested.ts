import { type EventBus, EventRejected, type HandlerContext } from '@planner/bus';
import { datasetVersionOf } from '@planner/domain';
import type { DatasetRequested } from '@planner/schemas';
import { storedTraceContext } from '@planner/telemetry';
import type { DatasetBuilderTables } from '../tables.ts';

const MODEL_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every reason a request cannot be built; empty when it can. */
export function requestProblems(request: Pick<DatasetRequested, 'model_name' | 'dataset_date' | 'window_start' | 'window_end'>): string[] {
  const problems: string[] = [];
  if (!MODEL_NAME.test(request.model_name)) problems.push(`model_name '${request.model_name}' must match ${MODEL_NAME.source}`);
  if (!DATE.test(request.dataset_date) || Number.isNaN(Date.parse(`${request.dataset_date}T00:00:00Z`))) {
    problems.push(`dataset_date '${request.dataset_date}' must be a date YYYY-MM-DD`);
  }
  if (!(request.window_start < request.window_end)) problems.push('window_start must be before window_end');
  return problems;
}

/**
 * Records a build request; the build itself runs in DatasetBuilds. A request
 * for a version that exists with the same pins is the same request: nothing is
 * built or registered again, and a finished version is announced again under
 * this request's correlation id. Different pins for an existing version are
 * refused, because a version must always mean the same rows. The request's
 * trace context is kept with the version, for the build to continue.
 */
export function datasetRequestedHandler(bus: EventBus) {
  return async (event: DatasetRequested, { trx }: HandlerContext<DatasetBuilderTables>): Promise<void> => {
    const problems = requestProblems(event);
    if (problems.length > 0) throw new EventRejected('DATASET_REQUEST_INVALID', problems.join('; '));
    const version = datasetVersionOf(event.model_name, event.dataset_date);
    const inserted = await trx
      .insertInto('exp.datasets')
      .values({
        dataset_version: version,
        model_name: event.model_name,
        dataset_date: event.dataset_date,
        window_start: new Date(event.window_start),
        window_end: new Date(event.window_end),
        split_seed: event.split_seed,
        status: 'pending',
        correlation_id: event.correlation_id,
        requested_by: event.requested_by,
        ...storedTraceContext(),
      })
      .onConflict((oc) => oc.column('dataset_version').doNothing())
      .returning('dataset_version')
      .executeTakeFirst();
    if (inserted) return;

    const existing = await trx.selectFrom('exp.datasets').selectAll().where('dataset_version', '=', version).executeTakeFirstOrThrow();
    const samePins =
      new Date(existing.window_start).getTime() === event.window_start &&
      new Date(existing.window_end).getTime() === event.window_end &&
      existing.split_seed === event.split_seed;
    if (!samePins) {
      throw new EventRejected(
        'DATASET_VERSION_CONFLICT',
        `${version} already exists with window [${new Date(existing.window_start).toISOString()}, ${new Date(existing.window_end).toISOString()}) and split seed ${existing.split_seed}`,
      );
    }
    if (existing.status === 'failed') {
      // An explicit new request is the way to retry a failed build.
      await trx
        .updateTable('exp.datasets')
        .set({
          status: 'pending',
          attempts: 0,
          retry_at: null,
          failing_since: null,
          correlation_id: event.correlation_id,
          ...storedTraceContext(),
        })
        .where('dataset_version', '=', version)
        .execute();
    }
    if (existing.status === 'ready') {
      const ready = bus.event(
        'dataset.ready',
        {
          dataset_version: version,
          model_name: existing.model_name,
          location: existing.location as string,
          digest: existing.digest as string,
          row_count: existing.row_count as number,
          field_count: existing.field_count as number,
          split: existing.split_counts as { train: number; validation: number; evaluation: number },
          mlflow_run_id: existing.mlflow_run_id as string,
        },
        event.correlation_id,
      );
      await bus.enqueue(trx, 'dataset.ready', ready, version);
    }
  };
}
