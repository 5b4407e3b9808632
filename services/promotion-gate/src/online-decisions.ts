import { createHash } from 'node:crypto';
import type { BusTables, EventBus } from '@planner/bus';
import type { ExperimentChecked } from '@planner/schemas';
import type { Transaction } from 'kysely';
import { type RampConfig, rampConfigVersion } from './ramp-config.ts';
import type { GateTables, OnlineDecisionKind } from './tables.ts';

export type Trx = Transaction<GateTables & BusTables>;

export interface OnlineDeps {
  bus: EventBus;
  ramp: RampConfig;
  now?: () => number;
}

interface Arm {
  variant_id: string;
  policy_version_id: string;
  allocation: number;
}

export interface LiveExperiment {
  experiment_id: string;
  policy_id: string;
  status: string;
  treatment: Arm;
  control: Arm;
  /** When the allocation in force took effect (the start, the last ramp or resume). */
  since: Date;
}

export interface OnlineDecision {
  decision_id: string;
  experiment_id: string;
  kind: OnlineDecisionKind;
  from_allocation: number;
  to_allocation: number;
  actor: string;
  reason: string;
}

interface Why {
  checkId: string | null;
  checkStatus: string | null;
  evidence: unknown;
  actor: string;
  reason: string;
}

const AUTOMATIC = 'promotion-gate';
const SAME = 1e-9;

/** The experiment with its arms, its row locked: decisions on one experiment happen one at a time. */
export async function liveExperiment(trx: Trx, experimentId: string): Promise<LiveExperiment | undefined> {
  const experiment = await trx
    .selectFrom('exp.experiments')
    .select(['experiment_id', 'policy_id', 'status', 'created_at'])
    .where('experiment_id', '=', experimentId)
    .forUpdate()
    .executeTakeFirst();
  if (!experiment) return undefined;
  const arms = await trx
    .selectFrom('exp.variants')
    .select(['variant_id', 'policy_version_id', 'allocation', 'role'])
    .where('experiment_id', '=', experimentId)
    .execute();
  const last = await trx
    .selectFrom('exp.online_decisions')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('experiment_id', '=', experimentId)
    .where('kind', 'in', ['ramp', 'start', 'resume'])
    .executeTakeFirst();
  const arm = (role: string) => arms.find((a) => a.role === role) as Arm;
  return {
    experiment_id: experiment.experiment_id,
    policy_id: experiment.policy_id,
    status: experiment.status,
    treatment: arm('treatment'),
    control: arm('control'),
    since: (last?.at as Date | null) ?? experiment.created_at,
  };
}

async function record(
  trx: Trx,
  deps: OnlineDeps,
  live: LiveExperiment,
  kind: OnlineDecisionKind,
  to: number,
  why: Why,
): Promise<OnlineDecision> {
  const decisionId = `online-${createHash('sha256')
    .update(`${live.experiment_id}|${kind}|${why.checkId ?? `${why.actor}|${(deps.now ?? Date.now)()}`}`)
    .digest('hex')
    .slice(0, 16)}`;
  const decision = {
    decision_id: decisionId,
    experiment_id: live.experiment_id,
    kind,
    from_allocation: live.treatment.allocation,
    to_allocation: to,
    actor: why.actor,
    reason: why.reason,
  };
  await trx
    .insertInto('exp.online_decisions')
    .values({
      ...decision,
      check_id: why.checkId,
      check_status: why.checkStatus,
      evidence: JSON.stringify(why.evidence ?? null),
      config_version: rampConfigVersion(deps.ramp),
    })
    .execute();
  return decision;
}

async function setTreatment(trx: Trx, live: LiveExperiment, allocation: number): Promise<void> {
  // Control first: the sum is checked at commit, the growth of the treatment right away (against this transaction's ramp).
  await trx
    .updateTable('exp.variants')
    .set({ allocation: 1 - allocation })
    .where('variant_id', '=', live.control.variant_id)
    .execute();
  await trx.updateTable('exp.variants').set({ allocation }).where('variant_id', '=', live.treatment.variant_id).execute();
}

/** The next step of the schedule: more traffic on the treatment, recorded and published as experiment.ramped. */
export async function ramp(trx: Trx, deps: OnlineDeps, live: LiveExperiment, to: number, why: Why): Promise<OnlineDecision> {
  const decision = await record(trx, deps, live, 'ramp', to, why);
  await setTreatment(trx, live, to);
  const event = deps.bus.event(
    'experiment.ramped',
    {
      experiment_id: live.experiment_id,
      treatment_variant_id: live.treatment.variant_id,
      from_allocation: live.treatment.allocation,
      to_allocation: to,
      reason: why.reason,
    },
    live.experiment_id,
  );
  await deps.bus.enqueue(trx, 'experiment.ramped', event, live.experiment_id);
  return decision;
}

/**
 * Stops the treatment: its allocation goes to 0, its policy version is
 * `rolled_back`, the experiment stops, experiment.rolled_back says why, and
 * the policy's next queued experiment, if any, starts.
 */
export async function rollBack(trx: Trx, deps: OnlineDeps, live: LiveExperiment, why: Why, kind: 'rollback' | 'abort' = 'rollback') {
  const decision = await record(trx, deps, live, kind, 0, why);
  await setTreatment(trx, live, 0);
  await trx.updateTable('exp.experiments').set({ status: 'stopped' }).where('experiment_id', '=', live.experiment_id).execute();
  await trx
    .updateTable('exp.policy_versions')
    .set({ status: 'rolled_back', updated_at: new Date() })
    .where('policy_version_id', '=', live.treatment.policy_version_id)
    .execute();
  const event = deps.bus.event(
    'experiment.rolled_back',
    {
      experiment_id: live.experiment_id,
      treatment_variant_id: live.treatment.variant_id,
      policy_version_id: live.treatment.policy_version_id,
      reasons: [why.reason, `decision ${decision.decision_id}${why.checkId ? ` on check ${why.checkId}` : ''} by ${why.actor}`],
    },
    live.experiment_id,
  );
  await deps.bus.enqueue(trx, 'experiment.rolled_back', event, live.experiment_id);
  await startNextQueued(trx, deps, live.policy_id);
  return decision;
}

/**
 * The treatment becomes production (seed §6.3): its version `active`, the
 * previous active version `retired`, the experiment concluded, model.promoted
 * published (registry-sync moves the MLflow alias), the next queued experiment started.
 */
export async function promote(trx: Trx, deps: OnlineDeps, live: LiveExperiment, why: Why): Promise<OnlineDecision> {
  const decision = await record(trx, deps, live, 'promote', live.treatment.allocation, why);
  await trx.updateTable('exp.experiments').set({ status: 'stopped' }).where('experiment_id', '=', live.experiment_id).execute();
  const retired = await trx
    .updateTable('exp.policy_versions')
    .set({ status: 'retired', updated_at: new Date() })
    .where('policy_id', '=', live.policy_id)
    .where('status', '=', 'active')
    .returning('policy_version_id')
    .executeTakeFirst();
  const promoted = await trx
    .updateTable('exp.policy_versions')
    .set({ status: 'active', updated_at: new Date() })
    .where('policy_version_id', '=', live.treatment.policy_version_id)
    .returning(['mlflow_model_name', 'mlflow_model_version'])
    .executeTakeFirstOrThrow();
  const event = deps.bus.event(
    'model.promoted',
    {
      model_name: promoted.mlflow_model_name ?? '',
      model_version: promoted.mlflow_model_version ?? '',
      policy_version_id: live.treatment.policy_version_id,
      experiment_id: live.experiment_id,
      retired_policy_version_id: retired?.policy_version_id ?? null,
    },
    live.experiment_id,
  );
  await deps.bus.enqueue(trx, 'model.promoted', event, live.treatment.policy_version_id);
  await startNextQueued(trx, deps, live.policy_id);
  return decision;
}

/** The policy's oldest queued experiment starts, its control now the active version (a promotion may have changed it). */
async function startNextQueued(trx: Trx, deps: OnlineDeps, policyId: string): Promise<void> {
  // The lock openExperiment takes too: a gate pass queueing an experiment right now either commits first (and is seen
  // here) or waits and then finds no live experiment (and runs at once).
  const active = await trx
    .selectFrom('exp.policy_versions')
    .select('policy_version_id')
    .where('policy_id', '=', policyId)
    .where('status', '=', 'active')
    .forUpdate()
    .executeTakeFirstOrThrow();
  const next = await trx
    .selectFrom('exp.experiments')
    .select('experiment_id')
    .where('policy_id', '=', policyId)
    .where('status', '=', 'queued')
    .orderBy('created_at')
    .orderBy('experiment_id')
    .executeTakeFirst();
  if (!next) return;
  await trx.updateTable('exp.experiments').set({ status: 'running' }).where('experiment_id', '=', next.experiment_id).execute();
  await trx
    .updateTable('exp.variants')
    .set({ policy_version_id: active.policy_version_id })
    .where('experiment_id', '=', next.experiment_id)
    .where('role', '=', 'control')
    .execute();
  const live = (await liveExperiment(trx, next.experiment_id)) as LiveExperiment;
  await record(trx, deps, live, 'start', live.treatment.allocation, {
    checkId: null,
    checkStatus: null,
    evidence: null,
    actor: AUTOMATIC,
    reason: 'the policy has no live experiment any more: the oldest queued one starts',
  });
  const event = deps.bus.event(
    'experiment.started',
    {
      experiment_id: live.experiment_id,
      control_variant_id: live.control.variant_id,
      treatment_variant_id: live.treatment.variant_id,
      treatment_allocation: live.treatment.allocation,
      policy_version_id: live.treatment.policy_version_id,
      baseline_policy_version_id: active.policy_version_id,
    },
    live.experiment_id,
  );
  await deps.bus.enqueue(trx, 'experiment.started', event, live.experiment_id);
}

const ROLLBACK: ReadonlySet<string> = new Set(['srm', 'guardrail_breached', 'treatment_worse']);

/**
 * What the gate does with one check of a running experiment (decision 0015):
 * roll back at once on `srm`, `guardrail_breached` or `treatment_worse`; on
 * `healthy` or `treatment_better` at the allocation in force, with enough
 * households per arm and the dwell time passed, take the schedule's next step,
 * or at its end promote (on `treatment_better`, or `healthy` when so
 * configured); otherwise nothing. A check made before the allocation in force
 * (a ramp happened since) decides nothing.
 */
export async function decideOnCheck(trx: Trx, deps: OnlineDeps, check: ExperimentChecked): Promise<OnlineDecision | undefined> {
  const live = await liveExperiment(trx, check.experiment_id);
  if (live?.status !== 'running') return undefined;
  if (Math.abs(check.treatment_allocation - live.treatment.allocation) > SAME) return undefined;
  const why: Why = {
    checkId: check.check_id,
    checkStatus: check.status,
    evidence: check,
    actor: AUTOMATIC,
    reason: `${check.status}: ${check.reasons.join('; ')}`,
  };
  if (ROLLBACK.has(check.status)) return rollBack(trx, deps, live, why);
  if (check.status !== 'healthy' && check.status !== 'treatment_better') return undefined;
  const { ramp: config } = deps;
  if (check.variants.some((v) => v.units < config.minUnitsPerArm)) return undefined;
  if ((deps.now ?? Date.now)() - live.since.getTime() < config.minDwellSeconds * 1000) return undefined;
  const next = config.schedule.find((step) => step > live.treatment.allocation + SAME);
  if (next === undefined) {
    const promotable = check.status === 'treatment_better' || config.promoteOn === 'healthy';
    return promotable ? promote(trx, deps, live, why) : undefined;
  }
  if (config.requiresApproval) {
    const approved = await trx
      .selectFrom('exp.online_decisions')
      .select('decision_id')
      .where('experiment_id', '=', live.experiment_id)
      .where('kind', '=', 'approve')
      .where('to_allocation', '=', next)
      .where('created_at', '>=', live.since)
      .executeTakeFirst();
    if (!approved) return undefined;
  }
  return ramp(trx, deps, live, next, why);
}
