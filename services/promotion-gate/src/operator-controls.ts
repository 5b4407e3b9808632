import type { BusTables } from '@planner/bus';
import { HttpError } from '@planner/service-kit';
import type { Kysely } from 'kysely';
import { liveExperiment, type OnlineDecision, type OnlineDeps, rollBack } from './online-decisions.ts';
import { rampConfigVersion } from './ramp-config.ts';
import type { GateTables, OnlineDecisionKind } from './tables.ts';

export type OperatorAction = 'pause' | 'resume' | 'abort' | 'approve';

export interface OperatorRequest {
  experimentId: string;
  action: OperatorAction;
  actor: string;
  reason: string;
}

/** Which status each action needs. */
const NEEDS: Record<OperatorAction, readonly string[]> = {
  pause: ['running'],
  resume: ['paused'],
  abort: ['running', 'paused'],
  // A resume restarts the dwell time, and with it what an approval counts from.
  approve: ['running'],
};

/**
 * An operator's action on an experiment, recorded like every online decision
 * (who, why, when, the allocation before and after): pause (everyone gets
 * production until resumed), resume, abort (a rollback with a manual reason),
 * and approve the schedule's next step (GATE_RAMP_REQUIRES_APPROVAL); the step
 * itself is taken on the next qualifying check.
 */
export async function operate(db: Kysely<GateTables & BusTables>, deps: OnlineDeps, request: OperatorRequest): Promise<OnlineDecision> {
  return db.transaction().execute(async (trx) => {
    const live = await liveExperiment(trx, request.experimentId);
    if (!live) throw new HttpError('NOT_FOUND', `no experiment ${request.experimentId}`);
    if (!NEEDS[request.action].includes(live.status)) {
      throw new HttpError(
        'CONFLICT',
        `experiment ${request.experimentId} is ${live.status}: ${request.action} needs it ${NEEDS[request.action].join(' or ')}`,
      );
    }
    const why = { checkId: null, checkStatus: null, evidence: null, actor: request.actor, reason: request.reason };
    if (request.action === 'abort')
      return rollBack(trx, deps, live, { ...why, reason: `aborted by ${request.actor}: ${request.reason}` }, 'abort');

    let to = live.treatment.allocation;
    if (request.action === 'approve') {
      const next = deps.ramp.schedule.find((step) => step > live.treatment.allocation + 1e-9);
      if (next === undefined) throw new HttpError('CONFLICT', `experiment ${request.experimentId} is at the last step: nothing to approve`);
      to = next;
    } else {
      await trx
        .updateTable('exp.experiments')
        .set({ status: request.action === 'pause' ? 'paused' : 'running' })
        .where('experiment_id', '=', live.experiment_id)
        .execute();
    }
    const decision = {
      decision_id: `online-${request.action}-${live.experiment_id}-${Date.now().toString(36)}`,
      experiment_id: live.experiment_id,
      kind: request.action as OnlineDecisionKind,
      from_allocation: live.treatment.allocation,
      to_allocation: to,
      actor: request.actor,
      reason: request.reason,
    };
    await trx
      .insertInto('exp.online_decisions')
      .values({
        ...decision,
        check_id: null,
        check_status: null,
        evidence: JSON.stringify(null),
        config_version: rampConfigVersion(deps.ramp),
      })
      .execute();
    return decision;
  });
}
