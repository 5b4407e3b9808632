import type { HandlerContext } from '@planner/bus';
import type { DatasetReady } from '@planner/schemas';
import type { ReplayTables } from '../tables.ts';

/** Remembers where each dataset version lives, so replays can read its evaluation split. */
export async function recordDataset(event: DatasetReady, { trx }: HandlerContext<ReplayTables>): Promise<void> {
  await trx
    .insertInto('exp.replay_datasets')
    .values({ dataset_version: event.dataset_version, location: event.location })
    .onConflict((oc) => oc.column('dataset_version').doUpdateSet({ location: event.location }))
    .execute();
}
