import type { HandlerContext } from '@planner/bus';
import type { PlanEvent } from '@planner/schemas';
import { type RecordOptions, recordPlanEvent } from '../record-event.ts';
import type { MonitorTables } from '../tables.ts';

/** exp.events: every product event moves its experiment's statistics, or is dead-lettered with the reason. */
export function expEventsHandler(options: RecordOptions) {
  return (event: PlanEvent, { trx }: HandlerContext<MonitorTables>) => recordPlanEvent(trx, event, options);
}
