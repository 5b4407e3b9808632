import { type Kysely, sql } from 'kysely';
import type { BusTables } from './bus-tables.ts';

/**
 * Deletes inbox rows (exp.processed_events) recorded before `olderThan`, at
 * most `batchSize` per statement so no delete holds many row locks for long.
 * Returns how many rows went. An event can be deduplicated only while its row
 * exists: keep the retention longer than the longest a topic keeps messages
 * (a replay cannot reach further back than that).
 */
export async function pruneInbox<DB extends BusTables>(db: Kysely<DB>, olderThan: Date, batchSize = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { numAffectedRows } = await sql`
      delete from exp.processed_events
      where ctid = any(array(
        select ctid from exp.processed_events where processed_at < ${olderThan} limit ${batchSize}
      ))`.execute(db);
    const deleted = Number(numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
