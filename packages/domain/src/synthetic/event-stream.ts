import type { PlanEdit, PlanEvent, PlanEventType, WeeklyPlan } from '@planner/schemas';
import { BASELINE_POLICY_VERSION, baselinePlan } from '../baseline-plan.ts';
import type { Constraints } from '../constraints.ts';
import { DomainError } from '../domain-error.ts';
import type { Household } from '../household.ts';
import type { InputContext } from '../input-context.ts';
import type { PantrySnapshot } from '../pantry.ts';
import type { Recipe } from '../recipe.ts';
import { DAYS_PER_WEEK, MEAL_SLOTS } from '../weekly-plan.ts';
import { generateCatalogue } from './catalogue.ts';
import { generateHousehold } from './households.ts';
import { pantrySnapshot } from './pantry-snapshot.ts';
import { SeededRandom } from './seeded-random.ts';
import { sessionShape } from './session-shape.ts';
import { TimeOrderedQueue } from './time-ordered-queue.ts';
import { CatalogueView, simulateUser } from './user-simulation.ts';

/*
 * Rates, measured with the defaults on seed 7, 20,000 households × 10 weeks
 * (200,000 sessions, 939,196 events, 13.5 s on one core of this machine):
 * - one planning session per household per week, starting evenly spread over
 *   the first six days of the week (household order shuffled weekly); the
 *   pantry snapshot is taken 5–60 s before plan_generated;
 * - per session: 1 plan_generated, 2.51 plan_edited (80% of sessions edit at
 *   least once), 0.185 validator_intervened (in 15.5% of sessions), and one
 *   ending: plan_accepted 94.9%, plan_rejected 5.1% (`rejectRate`);
 * - so ≈ 4.7 events per session: 1,000,000 events ≈ 21,300 households × 10 weeks;
 * - steps 8–90 s apart (0.5–3 s after a validator block), the decision 15–240 s
 *   after the last step; policy latency log-normal, median 35 ms;
 * - `missingMetadataRate` (default 0) of events lack experiment_id,
 *   variant_id or policy_version_id (each 25%) or all three (25%).
 */

export interface SessionInfo {
  household_id: string;
  plan_id: string;
  /** 0-based week of the stream. */
  week: number;
}

export interface EventStreamOptions {
  seed: number;
  /** Number of households; each plans once a week. */
  households: number;
  weeks: number;
  /** Start of week 0, UTC milliseconds (households were created before it). */
  startMs: number;
  /** Defaults to generateCatalogue(seed). Treated as immutable. */
  catalogue?: readonly Recipe[];
  experimentId?: string;
  variantId?: string;
  policyVersionId?: string;
  producer?: string;
  /** One id for the whole stream, or one per session; default: the session's plan_id (the schema's "one plan's session"). */
  correlationId?: string | ((session: SessionInfo) => string);
  /** Fraction of events, exactly ⌊n × rate⌋ of the first n, with experiment_id, variant_id or policy_version_id (or all three) null. Default 0. */
  missingMetadataRate?: number;
  /** Share of sessions that end in plan_rejected. Default 0.05. */
  rejectRate?: number;
  /** Also yield each session's input context (the ground truth a dataset builder's join should reproduce). Default false. */
  includeContexts?: boolean;
}

/** Everything the synthetic world holds, in the order a loader can write it: recipes, households, then pantries and events in time order. */
export type SyntheticRecord =
  | { type: 'recipe'; recipe: Recipe }
  | { type: 'household'; household: Household; constraints: Constraints }
  | { type: 'pantry_snapshot'; pantry: PantrySnapshot }
  | { type: 'input_context'; plan_id: string; context: InputContext }
  | { type: 'event'; event: PlanEvent };

export const GENERATOR_DEFAULTS = {
  // Production traffic outside any experiment, as upstream services log it (OUTSIDE_EXPERIMENTS of @planner/assignment).
  experimentId: 'none',
  variantId: 'production',
  policyVersionId: BASELINE_POLICY_VERSION,
  producer: 'synthetic-generator',
  missingMetadataRate: 0,
  rejectRate: 0.05,
} as const;

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Sessions start within the first six days of their week, so a household's sessions never overlap. */
const SESSION_WINDOW_MS = 6 * DAY_MS;
const PANTRY_LEAD_MS: readonly [number, number] = [5_000, 60_000];
const STEP_GAP_MS: readonly [number, number] = [8_000, 90_000];
const VALIDATOR_GAP_MS: readonly [number, number] = [500, 3_000];
const DECISION_GAP_MS: readonly [number, number] = [15_000, 240_000];
/** Heuristic policy latency: log-normal, median 35 ms; cost is CPU time at ≈ 0.72 USD per core-hour. */
const LATENCY_MEDIAN_MS = 35;
const LATENCY_SIGMA = 0.35;
const COST_USD_PER_MS = 2e-7;

type MetadataField = 'experiment_id' | 'variant_id' | 'policy_version_id';
const MISSING_PATTERNS: ReadonlyArray<readonly MetadataField[]> = [
  ['experiment_id'],
  ['variant_id'],
  ['policy_version_id'],
  ['experiment_id', 'variant_id', 'policy_version_id'],
];

function invalidOption(message: string): never {
  throw new DomainError('GENERATOR_OPTIONS_INVALID', message);
}

function checkOptions(o: EventStreamOptions): void {
  if (!Number.isSafeInteger(o.seed)) invalidOption(`seed must be a safe integer, got ${o.seed}`);
  if (!Number.isInteger(o.households) || o.households < 1) invalidOption(`households must be an integer ≥ 1, got ${o.households}`);
  if (!Number.isInteger(o.weeks) || o.weeks < 1) invalidOption(`weeks must be an integer ≥ 1, got ${o.weeks}`);
  if (!Number.isSafeInteger(o.startMs) || o.startMs < PANTRY_LEAD_MS[1])
    invalidOption(`startMs must be UTC milliseconds, got ${o.startMs}`);
  for (const name of ['missingMetadataRate', 'rejectRate'] as const) {
    const rate = o[name];
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) invalidOption(`${name} must be within [0, 1], got ${rate}`);
  }
  if (o.catalogue !== undefined && o.catalogue.length === 0) invalidOption('catalogue must hold at least one recipe');
}

function encodePlan(plan: WeeklyPlan, view: CatalogueView, into: Int32Array, offset: number): void {
  into.fill(0, offset, offset + DAYS_PER_WEEK * MEAL_SLOTS.length);
  for (const day of plan.days) {
    for (const meal of day.meals) {
      const r = view.indexOf.get(meal.recipe_id);
      if (r !== undefined) into[offset + day.day * MEAL_SLOTS.length + MEAL_SLOTS.indexOf(meal.slot)] = r + 1;
    }
  }
}

function decodePlan(view: CatalogueView, from: Int32Array, offset: number): WeeklyPlan {
  const days: WeeklyPlan['days'] = [];
  for (let day = 0; day < DAYS_PER_WEEK; day++) {
    const meals: WeeklyPlan['days'][number]['meals'] = [];
    MEAL_SLOTS.forEach((slot, s) => {
      const r = from[offset + day * MEAL_SLOTS.length + s] as number;
      if (r > 0) meals.push({ slot, recipe_id: (view.recipes[r - 1] as Recipe).recipe_id });
    });
    days.push({ day, meals });
  }
  return { days };
}

/**
 * The whole synthetic world as one lazy stream with bounded memory: every
 * recipe, every household with its constraints, then pantry snapshots and plan
 * events merged in time order. Memory is O(households) for the weekly order and
 * each household's last accepted plan (84 bytes each), plus the sessions in
 * flight — never O(events). Same options → byte-identical records.
 */
export function* generateSyntheticWorld(options: EventStreamOptions): Generator<SyntheticRecord> {
  checkOptions(options);
  const { seed, households, weeks, startMs } = options;
  const catalogue = options.catalogue ?? generateCatalogue(seed);
  const view = new CatalogueView(catalogue);
  const experimentId = options.experimentId ?? GENERATOR_DEFAULTS.experimentId;
  const variantId = options.variantId ?? GENERATOR_DEFAULTS.variantId;
  const policyVersionId = options.policyVersionId ?? GENERATOR_DEFAULTS.policyVersionId;
  const producer = options.producer ?? GENERATOR_DEFAULTS.producer;
  const rejectRate = options.rejectRate ?? GENERATOR_DEFAULTS.rejectRate;
  const missingRate = options.missingMetadataRate ?? GENERATOR_DEFAULTS.missingMetadataRate;
  const correlation = options.correlationId;
  const correlationFor = (info: SessionInfo) =>
    correlation === undefined ? info.plan_id : typeof correlation === 'string' ? correlation : correlation(info);

  for (const recipe of catalogue) yield { type: 'recipe', recipe };
  for (let i = 0; i < households; i++) {
    const { household, constraints } = generateHousehold(seed, i, startMs);
    yield { type: 'household', household, constraints };
  }

  const planSize = DAYS_PER_WEEK * MEAL_SLOTS.length;
  const lastAccepted = new Int32Array(households * planSize);
  const hasPrevious = new Uint8Array(households);
  const order = new Int32Array(households);
  const spacing = SESSION_WINDOW_MS / households;
  const queue = new TimeOrderedQueue<SyntheticRecord>();
  const missingRng = SeededRandom.derive(seed, 'missing-metadata');
  let emitted = 0;

  const release = function* (upTo: number): Generator<SyntheticRecord> {
    while (queue.size > 0 && queue.peekTime() <= upTo) {
      const record = queue.pop();
      if (record.type === 'event') {
        // Exactly ⌊n × rate⌋ of the first n events lack metadata, spread evenly through the stream.
        if (Math.floor((emitted + 1) * missingRate) > Math.floor(emitted * missingRate)) {
          for (const field of missingRng.pick(MISSING_PATTERNS)) record.event[field] = null;
        }
        emitted++;
      }
      yield record;
    }
  };

  for (let week = 0; week < weeks; week++) {
    const weekStart = startMs + week * WEEK_MS;
    const weekRng = SeededRandom.derive(seed, 'week', week);
    for (let i = 0; i < households; i++) order[i] = i;
    for (let i = households - 1; i > 0; i--) {
      const j = weekRng.int(0, i);
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }

    for (let rank = 0; rank < households; rank++) {
      const index = order[rank] as number;
      const start = weekStart + PANTRY_LEAD_MS[1] + Math.floor((rank + weekRng.float()) * spacing);
      // Nothing later can be earlier than this session's pantry snapshot.
      yield* release(start - PANTRY_LEAD_MS[1]);

      const { household, constraints } = generateHousehold(seed, index, startMs);
      const rng = SeededRandom.derive(seed, 'session', index, week);
      const { workflow, mode } = sessionShape(seed, index, rng);
      const planId = `plan-${rng.uuid()}`;
      const info: SessionInfo = { household_id: household.household_id, plan_id: planId, week };

      const pantry = pantrySnapshot(
        household,
        start - rng.int(PANTRY_LEAD_MS[0], PANTRY_LEAD_MS[1]),
        SeededRandom.derive(seed, 'pantry', index, week),
        constraints,
      );
      queue.push(pantry.taken_at, { type: 'pantry_snapshot', pantry });

      const context: InputContext = {
        household,
        pantry,
        constraints,
        workflow_type: workflow,
        mode,
        previous_plan: hasPrevious[index] === 1 ? decodePlan(view, lastAccepted, index * planSize) : null,
        as_of: start,
      };
      if (options.includeContexts === true) queue.push(start, { type: 'input_context', plan_id: planId, context });
      const generated = baselinePlan(context, catalogue);
      const latency = Math.round(rng.logNormal(LATENCY_MEDIAN_MS, LATENCY_SIGMA) * 10) / 10;
      const cost = Math.round(latency * COST_USD_PER_MS * 1e9) / 1e9;

      const correlationId = correlationFor(info);
      const event = (type: PlanEventType, at: number, plan: null | WeeklyPlan, edits: PlanEdit[], withCost: boolean): SyntheticRecord => ({
        type: 'event',
        event: {
          event_id: rng.uuid(),
          occurred_at: at,
          correlation_id: correlationId,
          producer,
          schema_version: 2,
          event_type: type,
          household_id: household.household_id,
          plan_id: planId,
          workflow_type: workflow,
          mode,
          experiment_id: experimentId,
          variant_id: variantId,
          policy_version_id: policyVersionId,
          plan,
          edits,
          latency_ms: withCost ? latency : null,
          cost_usd: withCost ? cost : null,
          // The generator models no assignment hash and no fallback: the configured version serves every plan.
          hash_version: null,
          fallback_reason: null,
        },
      });

      queue.push(start, event('plan_generated', start, generated, [], true));
      const outcome = simulateUser({ view, household, constraints, mode, plan: generated, rejectRate, rng });
      let at = start;
      let blocked = false;
      for (const step of outcome.steps) {
        // After the validator blocks a swap, the user picks a safe one within seconds.
        at += blocked ? rng.int(...VALIDATOR_GAP_MS) : rng.int(...STEP_GAP_MS);
        blocked = step.kind === 'validator_intervened';
        queue.push(at, event(step.kind, at, null, [step.edit], false));
      }
      at += rng.int(...DECISION_GAP_MS);
      if (outcome.accepted) {
        queue.push(at, event('plan_accepted', at, outcome.finalPlan, outcome.edits, true));
        encodePlan(outcome.finalPlan, view, lastAccepted, index * planSize);
        hasPrevious[index] = 1;
      } else {
        queue.push(at, event('plan_rejected', at, null, outcome.edits, true));
      }
    }
  }
  yield* release(Number.POSITIVE_INFINITY);
}

/** Only the plan events of generateSyntheticWorld, in time order: what an upstream service would publish on exp.events. */
export function* generateEventStream(options: EventStreamOptions): Generator<PlanEvent> {
  for (const record of generateSyntheticWorld(options)) if (record.type === 'event') yield record.event;
}
