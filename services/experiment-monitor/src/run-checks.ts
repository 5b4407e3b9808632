import { randomUUID } from 'node:crypto';
import type { BusTables, EventBus } from '@planner/bus';
import { type Kysely, sql } from 'kysely';
import { loadCheckInputs } from './check-inputs.ts';
import { type CheckEvidence, type CheckSettings, evaluateExperiment } from './experiment-check.ts';
import type { MonitorMetrics } from './monitor-metrics.ts';
import type { MonitorTables } from './tables.ts';

export interface CheckDeps {
  db: Kysely<MonitorTables & BusTables>;
  bus: EventBus;
  metrics: MonitorMetrics;
  settings: CheckSettings;
}

/**
 * Checks one experiment: evaluates it, stores the check, moves the running
 * minimum of the always-valid p-value, and stages experiment.checked, all in
 * one transaction, so a check is never published without being stored.
 */
export async function checkExperiment(
  deps: CheckDeps,
  experimentId: string,
  nowMs: number = Date.now(),
): Promise<CheckEvidence | undefined> {
  const inputs = await loadCheckInputs(deps.db, experimentId, deps.settings.srmGraceSeconds);
  if (!inputs) return undefined;
  const evidence = evaluateExperiment(inputs, deps.settings, nowMs);
  const checkId = `check-${randomUUID()}`;
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('monitor.checks')
      .values({ check_id: checkId, experiment_id: experimentId, status: evidence.status, evidence: JSON.stringify(evidence) })
      .execute();
    if (evidence.primary) {
      // least(): two checks at once (a round and a POST, or two replicas) never raise the running minimum again.
      await trx
        .updateTable('monitor.experiments')
        .set({ min_p_value: sql<number>`least(min_p_value, ${evidence.primary.p_value})` })
        .where('experiment_id', '=', experimentId)
        .execute();
    }
    const { srm_statistic: _s, cuped_theta: _t, ...published } = evidence;
    await deps.bus.enqueue(
      trx,
      'experiment.checked',
      deps.bus.event('experiment.checked', { ...published, check_id: checkId }, experimentId),
      experimentId,
    );
  });
  deps.metrics.record(evidence);
  return evidence;
}

/** One round: every running experiment is checked. */
export async function checkRunningExperiments(deps: CheckDeps): Promise<number> {
  const running = await deps.db.selectFrom('monitor.experiments').select('experiment_id').where('status', '=', 'running').execute();
  for (const { experiment_id } of running) await checkExperiment(deps, experiment_id);
  return running.length;
}
