import type { HandlerContext } from '@planner/bus';
import type { PlanEvent } from '@planner/schemas';
import { BatchEffects, type RecordOptions, recordPlanEvent, writeEffects } from '../record-event.ts';
import type { MonitorTables } from '../tables.ts';

/** exp.events: every product event moves its experiment's statistics, or is dead-lettered with the reason. */
export function expEventsHandler(options: RecordOptions) {
  return (event: PlanEvent, { trx, batch }: HandlerContext<MonitorTables>) => recordPlanEvent(trx, event, BatchEffects.of(batch), options);
}

/** Writes what a transaction's events gathered, before it commits with their inbox rows. */
export async function writeGatheredEffects({ trx, batch }: Pick<HandlerContext<MonitorTables>, 'trx' | 'batch'>): Promise<void> {
  await writeEffects(trx, BatchEffects.of(batch));
}
