import { randomUUID } from 'node:crypto';
import { type ActivePolicy, type Assignment, assign, exposureEventId, OUTSIDE_EXPERIMENTS, type PolicyServing } from '@planner/assignment';
import {
  CatalogueView,
  type Constraints,
  DISLIKE_THRESHOLD,
  GENERATOR_DEFAULTS,
  type Household,
  type InputContext,
  type PantrySnapshot,
  type PlanEdit,
  type PlanEvent,
  type PlanMode,
  type Recipe,
  type SeededRandom,
  simulateUser,
  validatePlan,
  type WeeklyPlan,
  type WorkflowType,
} from '@planner/domain';
import { type PolicyKind, type PolicyUsage, servingCostUsd } from '@planner/policy-runtime';
import type { PolicyRuntimes } from './policy-runtimes.ts';
import { TrafficError } from './traffic-error.ts';

/** One household asking for its weekly plan. */
export interface PlanSession {
  household: Household;
  constraints: Constraints;
  pantry: PantrySnapshot;
  workflow: WorkflowType;
  mode: null | PlanMode;
  previousPlan: null | WeeklyPlan;
  /** When the request arrived, UTC milliseconds. */
  at: number;
  /** The session's random stream: the user's reactions. */
  rng: SeededRandom;
  /** A stream of its own for injected faults, so they leave the users' reactions as they were. */
  faults?: SeededRandom;
}

export interface ServedRequest {
  assignment: Assignment;
  /** The assigned variant, or 'production' outside experiments. */
  variantId: string;
  /** Events to publish, in the order they happened. */
  events: PlanEvent[];
  /** Why the assigned version did not serve (production did), or null. */
  fallbackReason: null | string;
  /** Neither the assigned version nor production gave a plan: the user saw an error. */
  failed: boolean;
  /** Meals the validator replaced or blocked in the policy's plan. */
  interventions: number;
  latencyMs: number;
  costUsd: number;
  accepted: boolean;
  /** The plan the user accepted, for next week's context. */
  acceptedPlan: null | WeeklyPlan;
  /** True when this request logged the household's exposure to its experiment. */
  exposed: boolean;
}

export interface PlanServerOptions {
  catalogue: readonly Recipe[];
  runtimes: PolicyRuntimes;
  policyTimeoutMs: number;
  usdPerComputeHour: number;
  producer: string;
  /** Share of users who reject a plan as liked as the baseline's (the synthetic world's default). */
  rejectRate?: number;
  /** Fault injection: each meal of a treatment plan becomes a recipe the household dislikes with this probability. */
  degradeTreatment?: number;
}

interface Planned {
  plan: WeeklyPlan;
  latencyMs: number;
  costUsd: number;
}

/**
 * What the product's planner API does with one weekly plan request: assign
 * the household, plan with the assigned policy version (production steps in
 * when it fails or is too slow), let the validator fix the plan, show it to
 * the synthetic user, and describe all of it as exp.events events.
 */
export class PlanServer {
  readonly #options: PlanServerOptions;
  readonly #view: CatalogueView;
  readonly #exposed = new Set<string>();

  constructor(options: PlanServerOptions) {
    this.#options = options;
    this.#view = new CatalogueView(options.catalogue);
  }

  async serve(session: PlanSession, policy: ActivePolicy): Promise<ServedRequest> {
    const assignment = assign(session.household.household_id, policy);
    const experimentId = assignment.experiment_id ?? OUTSIDE_EXPERIMENTS.experiment_id;
    const variantId = assignment.variant_id ?? OUTSIDE_EXPERIMENTS.variant_id;
    const context: InputContext = {
      household: session.household,
      pantry: session.pantry,
      constraints: session.constraints,
      workflow_type: session.workflow,
      mode: session.mode,
      previous_plan: session.previousPlan,
      as_of: session.at,
    };

    let served: PolicyServing = assignment;
    let fallbackReason: null | string = null;
    let planned: Planned | undefined;
    try {
      planned = await this.#plan(assignment, context);
    } catch (error) {
      fallbackReason = reasonOf(error);
      if (assignment.policy_version_id !== policy.production.policy_version_id) {
        served = policy.production;
        planned = await this.#plan(policy.production, context).catch(() => undefined);
      }
    }
    const base = { assignment, variantId, fallbackReason, interventions: 0, accepted: false, acceptedPlan: null };
    if (planned === undefined) return { ...base, events: [], failed: true, latencyMs: 0, costUsd: 0, exposed: false };
    const role = policy.experiment?.variants.find((v) => v.variant_id === assignment.variant_id)?.role;
    const degrade = this.#options.degradeTreatment ?? 0;
    if (degrade > 0 && role === 'treatment' && served === assignment && session.faults) {
      planned = { ...planned, plan: this.#degraded(planned.plan, session.household, degrade, session.faults) };
    }

    const planId = `plan-${randomUUID()}`;
    let clock = session.at;
    const event = (type: PlanEvent['event_type'], fields: Partial<PlanEvent> = {}): PlanEvent => ({
      event_id: randomUUID(),
      occurred_at: clock++,
      correlation_id: planId,
      producer: this.#options.producer,
      schema_version: 2,
      event_type: type,
      household_id: session.household.household_id,
      plan_id: planId,
      workflow_type: session.workflow,
      mode: session.mode,
      experiment_id: experimentId,
      variant_id: variantId,
      policy_version_id: served.policy_version_id,
      plan: null,
      edits: [],
      latency_ms: null,
      cost_usd: null,
      hash_version: null,
      fallback_reason: fallbackReason,
      ...fields,
    });
    const events: PlanEvent[] = [];
    const exposureKey = `${assignment.experiment_id}|${session.household.household_id}`;
    const exposed = assignment.experiment_id !== null && !this.#exposed.has(exposureKey);
    if (exposed) {
      this.#exposed.add(exposureKey);
      events.push(
        event('exposure', {
          event_id: exposureEventId(experimentId, session.household.household_id),
          policy_version_id: assignment.policy_version_id,
          hash_version: assignment.hash_version,
          fallback_reason: null,
        }),
      );
    }
    const cost = { latency_ms: planned.latencyMs, cost_usd: planned.costUsd };
    events.push(event('plan_generated', { plan: planned.plan, ...cost }));
    const validated = validatePlan(planned.plan, this.#options.catalogue, session.constraints, session.household.size);
    for (const edit of validated.interventions) events.push(event('validator_intervened', { edits: [edit] }));
    const outcome = simulateUser({
      view: this.#view,
      household: session.household,
      constraints: session.constraints,
      mode: session.mode,
      plan: validated.plan,
      rejectRate: this.#options.rejectRate ?? GENERATOR_DEFAULTS.rejectRate,
      rng: session.rng,
    });
    for (const step of outcome.steps) events.push(event(step.kind, { edits: [step.edit] as PlanEdit[] }));
    events.push(
      outcome.accepted
        ? event('plan_accepted', { plan: outcome.finalPlan, edits: outcome.edits, ...cost })
        : event('plan_rejected', { edits: outcome.edits, ...cost }),
    );
    return {
      ...base,
      events,
      failed: false,
      interventions: validated.interventions.length,
      latencyMs: planned.latencyMs,
      costUsd: planned.costUsd,
      accepted: outcome.accepted,
      acceptedPlan: outcome.accepted ? outcome.finalPlan : null,
      exposed,
    };
  }

  /** A model that learned the households' tastes backwards: meals become recipes of their slot this household dislikes. */
  #degraded(plan: WeeklyPlan, household: Household, share: number, rng: SeededRandom): WeeklyPlan {
    const scores = this.#view.scoresFor(household);
    const disliked = (slot: string) =>
      this.#options.catalogue.filter(
        (r, i) => r.meal_slots.includes(slot as Recipe['meal_slots'][number]) && (scores[i] as number) < DISLIKE_THRESHOLD,
      );
    return {
      days: plan.days.map((day) => ({
        day: day.day,
        meals: day.meals.map((meal) => {
          const pool = rng.chance(share) ? disliked(meal.slot) : [];
          return pool.length > 0 ? { slot: meal.slot, recipe_id: rng.pick(pool).recipe_id } : meal;
        }),
      })),
    };
  }

  async #plan(serving: PolicyServing, context: InputContext): Promise<Planned> {
    const runtime = await this.#options.runtimes.get(serving);
    const usage: PolicyUsage = { cost_usd: 0 };
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TrafficError('POLICY_TIMEOUT', `no plan within ${this.#options.policyTimeoutMs} ms`)),
        this.#options.policyTimeoutMs,
      );
    });
    try {
      const plan = await Promise.race([runtime.plan(context, usage), timeout]);
      const latencyMs = performance.now() - started;
      return {
        plan,
        latencyMs,
        costUsd: servingCostUsd(runtime.kind as PolicyKind, usage.cost_usd, latencyMs, this.#options.usdPerComputeHour),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A failure as a short reason with its stable code, for the event, the log and the counts. */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return (typeof code === 'string' ? `${code}: ${message}` : message).slice(0, 500);
}
