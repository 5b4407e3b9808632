import type { HandlerContext } from '@planner/bus';
import type { ExperimentChecked } from '@planner/schemas';
import { decideOnCheck, type OnlineDeps } from '../online-decisions.ts';
import type { GateTables } from '../tables.ts';

/** experiment.checked: the monitor measured; the gate decides (ramp, roll back, promote or wait), in the check's own transaction. */
export function experimentCheckedHandler(deps: OnlineDeps) {
  return async (event: ExperimentChecked, { trx }: HandlerContext<GateTables>): Promise<void> => {
    await decideOnCheck(trx, deps, event);
  };
}
