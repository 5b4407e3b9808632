import type { HandlerContext } from '@planner/bus';
import type { TopicEvents } from '@planner/schemas';
import { ExperimentNotYetKnown } from '../monitor-error.ts';
import type { MonitorTables } from '../tables.ts';

/** experiment.started: the experiment, its variants and its first allocation epoch. */
export async function experimentStarted(event: TopicEvents['experiment.started'], { trx }: HandlerContext<MonitorTables>): Promise<void> {
  const startedAt = new Date(event.occurred_at);
  await trx
    .insertInto('monitor.experiments')
    .values({
      experiment_id: event.experiment_id,
      control_variant_id: event.control_variant_id,
      treatment_variant_id: event.treatment_variant_id,
      policy_version_id: event.policy_version_id,
      baseline_policy_version_id: event.baseline_policy_version_id,
      started_at: startedAt,
      status: 'running',
    })
    .onConflict((oc) => oc.column('experiment_id').doNothing())
    .execute();
  await trx
    .insertInto('monitor.allocations')
    .values({ experiment_id: event.experiment_id, effective_at: startedAt, treatment_allocation: event.treatment_allocation })
    .onConflict((oc) => oc.columns(['experiment_id', 'effective_at']).doNothing())
    .execute();
}

async function known(trx: HandlerContext<MonitorTables>['trx'], experimentId: string): Promise<void> {
  const found = await trx
    .selectFrom('monitor.experiments')
    .select('experiment_id')
    .where('experiment_id', '=', experimentId)
    .executeTakeFirst();
  // Another topic: the start may not have been read yet. Retried in place, within the dependency budget.
  if (!found) throw new ExperimentNotYetKnown(experimentId);
}

/** experiment.ramped: a new allocation epoch (the SRM check compares each epoch's exposures with its own shares). */
export async function experimentRamped(event: TopicEvents['experiment.ramped'], { trx }: HandlerContext<MonitorTables>): Promise<void> {
  await known(trx, event.experiment_id);
  await trx
    .insertInto('monitor.allocations')
    .values({ experiment_id: event.experiment_id, effective_at: new Date(event.occurred_at), treatment_allocation: event.to_allocation })
    .onConflict((oc) => oc.columns(['experiment_id', 'effective_at']).doNothing())
    .execute();
}

/** experiment.rolled_back: the treatment gets nobody from now on; checks stop. */
export async function experimentRolledBack(
  event: TopicEvents['experiment.rolled_back'],
  { trx }: HandlerContext<MonitorTables>,
): Promise<void> {
  await known(trx, event.experiment_id);
  await trx.updateTable('monitor.experiments').set({ status: 'rolled_back' }).where('experiment_id', '=', event.experiment_id).execute();
  await trx
    .insertInto('monitor.allocations')
    .values({ experiment_id: event.experiment_id, effective_at: new Date(event.occurred_at), treatment_allocation: 0 })
    .onConflict((oc) => oc.columns(['experiment_id', 'effective_at']).doNothing())
    .execute();
}

/** model.promoted: the experiment that promoted its treatment is over; checks stop. */
export async function modelPromoted(event: TopicEvents['model.promoted'], { trx }: HandlerContext<MonitorTables>): Promise<void> {
  await known(trx, event.experiment_id);
  await trx.updateTable('monitor.experiments').set({ status: 'concluded' }).where('experiment_id', '=', event.experiment_id).execute();
}
