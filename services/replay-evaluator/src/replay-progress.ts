import type { ReplayProgress } from '@planner/telemetry';
import { type Kysely, sql } from 'kysely';
import type { ReplayTables } from './tables.ts';

/**
 * Shard progress of the replays running now or finished within the last day,
 * read at each scrape for the replay workers dashboard: older replays leave
 * the exposition instead of piling up as label values.
 */
export async function replayProgress(db: Kysely<ReplayTables>): Promise<ReplayProgress[]> {
  const rows = await db
    .selectFrom('exp.replay_shards as s')
    .innerJoin('exp.replays as r', 'r.replay_id', 's.replay_id')
    .select((eb) => ['s.replay_id', eb.fn.countAll<string>().as('shards'), eb.fn.count<string>('s.done_at').as('done')])
    .where((eb) => eb.or([eb('r.status', '=', 'running'), eb('r.completed_at', '>', sql<Date>`now() - interval '1 day'`)]))
    .groupBy('s.replay_id')
    .execute();
  return rows.map((row) => ({ replay_id: row.replay_id, shards: Number(row.shards), done: Number(row.done) }));
}
