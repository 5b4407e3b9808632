import {
  checkPlan,
  costBand,
  type InputContext,
  type MealSlot,
  normalizeTerm,
  type PlanEdit,
  pantryStatus,
  planMeals,
  prepBand,
  type Recipe,
  type WeeklyPlan,
} from '@planner/domain';
import { EvaluationError } from './evaluation-error.ts';

/**
 * The worked example every metric below refers to (and `row-metrics.test.ts`
 * checks digit for digit). Recipes: oats {oats, banana}, salad {spinach,
 * tomato}, pasta {pasta, tomato, basil; allergen gluten}, curry {chicken, rice}.
 * Pantry at `as_of` 2026-01-05: spinach (expires 01-06), basil (01-07), milk
 * (01-08) are expiring; rice (03-01) is present; tomato (01-04) has expired.
 *
 * | (day, slot)    | accepted | policy |
 * | -------------- | -------- | ------ |
 * | (0, breakfast) | oats     | oats   |
 * | (0, lunch)     | salad    | pasta  |
 * | (0, dinner)    | pasta    | pasta  |
 * | (1, breakfast) | oats     | oats   |
 * | (1, lunch)     | —        | salad  |
 * | (1, dinner)    | curry    | —      |
 *
 * 5 accepted meals, 5 planned meals, 6 (day, slot) positions in either plan.
 */
export interface RowMetrics {
  /**
   * ∈ [0, 1], higher is better. Mean over the accepted meals of
   * `tasteSimilarity` between the policy's recipe in that (day, slot) and the
   * accepted one. Example: (0, breakfast), (0, dinner), (1, breakfast) are the
   * same recipes (1 each); (0, lunch) pasta vs salad share cuisine and cost
   * band but not prep band (2/3); (1, dinner) is empty (0):
   * (3 + 2/3) / 5 ≈ 0.733333.
   */
  plan_alignment: number;
  /**
   * ∈ [0, 1], higher is better. Distinct recipes ÷ planned meals; 0 for a
   * plan without meals. Example: oats, pasta, pasta, oats, salad: 3 / 5 = 0.6.
   */
  meal_diversity: number;
  /**
   * ∈ [0, 1], higher is better. Expiring pantry items (per `pantryStatus` at
   * `as_of`) that at least one planned recipe lists as an ingredient ÷ expiring
   * items; 1 when nothing is expiring. Example: spinach (salad) and basil
   * (pasta) are used, milk is not: 2 / 3 ≈ 0.666667. The expired tomato and
   * the long-lived rice do not count.
   */
  leftovers_utility: number;
  /**
   * ∈ {0, 1}, higher is better; the hard gate wants 1 on every row. 1 iff
   * `checkPlan` finds no violation. Example: a gluten-allergic household gets
   * pasta twice: 0 (and 1 for a household without allergies).
   */
  constraint_respect: number;
  /**
   * ≥ 0, lower is better. Violations `checkPlan` found. Example: 2 (one per
   * pasta meal) for the gluten-allergic household. A failed row counts 1, so
   * `constraint_respect = 1` exactly when `violations = 0` on every row.
   */
  violations: number;
  /**
   * ≥ 0, lower is better. The (day, slot) edits — swaps, additions, removals,
   * the vocabulary of `PlanEdit` — a user would make to turn the policy's plan
   * into the accepted one: positions in either plan whose recipes differ.
   * Example: swap (0, lunch) pasta → salad, remove (1, lunch), add (1, dinner): 3.
   */
  predicted_edits: number;
  /** ≥ 0, lower is better; context, not the policy's doing: the edits the user made to the plan actually shown. Example: 2 logged edits → 2. */
  actual_edits: number;
  /**
   * ∈ [0, 1], lower is better. predicted_edits ÷ (day, slot) positions in
   * either plan (exact recipe ids: an edit is an edit, however similar the
   * recipes). Example: 3 / 6 = 0.5.
   */
  edit_rate: number;
  /** ≥ 0, lower is better. Time the policy took for this row, as measured by the replay. Example: 120. */
  latency_ms: number;
  /** ≥ 0, lower is better. The cost proxy: inference cost of this row in USD. Example: 0.002. */
  cost_usd: number;
  /** ∈ {0, 1}, lower is better. 1 when the policy failed or gave invalid output (`plan` null). Example: 0. */
  policy_failed: number;
}

export type MetricName = keyof RowMetrics;

/** Every per-row metric, in report order, with the direction an improvement goes (statistics orient differences by it). */
export const METRICS: ReadonlyArray<{ readonly name: MetricName; readonly higherIsBetter: boolean }> = [
  { name: 'plan_alignment', higherIsBetter: true },
  { name: 'meal_diversity', higherIsBetter: true },
  { name: 'leftovers_utility', higherIsBetter: true },
  { name: 'constraint_respect', higherIsBetter: true },
  { name: 'violations', higherIsBetter: false },
  { name: 'predicted_edits', higherIsBetter: false },
  { name: 'actual_edits', higherIsBetter: false },
  { name: 'edit_rate', higherIsBetter: false },
  { name: 'latency_ms', higherIsBetter: false },
  { name: 'cost_usd', higherIsBetter: false },
  { name: 'policy_failed', higherIsBetter: false },
];

export interface RowMetricsInput {
  context: InputContext;
  /** The policy's plan; null when the policy failed or gave invalid output. */
  plan: WeeklyPlan | null;
  /** The plan the user accepted: the reference the policy is compared with. */
  accepted: WeeklyPlan;
  /** The edits the user made to the plan originally shown. */
  actualEdits: readonly PlanEdit[];
  recipesById: ReadonlyMap<string, Recipe>;
  latencyMs: number;
  costUsd: number;
}

function invalid(message: string): never {
  throw new EvaluationError('METRIC_INPUT_INVALID', message);
}

/** (day, slot) → recipe id. A position twice would make "the" recipe there ambiguous, so it is refused rather than guessed. */
function positions(plan: WeeklyPlan, which: string): Map<string, string> {
  const byPosition = new Map<string, string>();
  for (const meal of planMeals(plan)) {
    const key = positionKey(meal.day, meal.slot);
    if (byPosition.has(key)) invalid(`${which} plan has two meals at day ${meal.day} ${meal.slot}`);
    byPosition.set(key, meal.recipe_id);
  }
  return byPosition;
}

function positionKey(day: number, slot: MealSlot): string {
  return `${day}:${slot}`;
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(`${name} must be a finite number ≥ 0, got ${value}`);
  return value;
}

/**
 * The metrics of one replayed row (see `RowMetrics` for each definition and
 * its worked example). A failed row (`plan` null) scores the worst value of
 * every plan metric — alignment, diversity, leftovers and constraint respect 0,
 * one violation, every accepted meal an edit, edit rate 1 — so failures cannot
 * improve an average by being left out. Throws METRIC_INPUT_INVALID for an
 * accepted plan without meals (nothing to align with), a plan with a (day,
 * slot) twice, or a negative / non-finite latency or cost.
 */
/**
 * How close a planned recipe is to the one the user ended up with, in what
 * the user's taste responds to: 1 for the same recipe, otherwise the share of
 * {cuisine, cost band, prep band} they have in common; 0 for an empty slot.
 * Exact ids alone would credit only the policy that produced the logged plans
 * (users keep most of what they are shown), never a policy that anticipates
 * the swaps they make.
 */
export function tasteSimilarity(planned: string | undefined, accepted: string, recipesById: ReadonlyMap<string, Recipe>): number {
  if (planned === undefined) return 0;
  if (planned === accepted) return 1;
  const a = recipesById.get(planned);
  const b = recipesById.get(accepted);
  if (!a || !b) return 0;
  const same = [
    normalizeTerm(a.cuisine) === normalizeTerm(b.cuisine),
    costBand(a.cost_per_serving) === costBand(b.cost_per_serving),
    prepBand(a.prep_minutes) === prepBand(b.prep_minutes),
  ];
  return same.filter(Boolean).length / same.length;
}

export function rowMetrics(input: RowMetricsInput): RowMetrics {
  const { context, plan, accepted, recipesById } = input;
  const latency_ms = nonNegative(input.latencyMs, 'latencyMs');
  const cost_usd = nonNegative(input.costUsd, 'costUsd');
  const acceptedAt = positions(accepted, 'accepted');
  if (acceptedAt.size === 0) invalid('accepted plan has no meals: alignment with it is undefined');
  const actual_edits = input.actualEdits.length;

  if (plan === null) {
    return {
      plan_alignment: 0,
      meal_diversity: 0,
      leftovers_utility: 0,
      constraint_respect: 0,
      violations: 1,
      predicted_edits: acceptedAt.size,
      actual_edits,
      edit_rate: 1,
      latency_ms,
      cost_usd,
      policy_failed: 1,
    };
  }

  const plannedAt = positions(plan, 'policy');
  let aligned = 0;
  for (const [key, recipeId] of acceptedAt) aligned += tasteSimilarity(plannedAt.get(key), recipeId, recipesById);
  let predicted_edits = 0;
  const union = new Set([...acceptedAt.keys(), ...plannedAt.keys()]);
  for (const key of union) if (acceptedAt.get(key) !== plannedAt.get(key)) predicted_edits++;

  const plannedRecipes = [...plannedAt.values()];
  const distinct = new Set(plannedRecipes);

  const violations = checkPlan(plan, recipesById, context.constraints, context.household.size).length;

  return {
    plan_alignment: aligned / acceptedAt.size,
    meal_diversity: plannedRecipes.length === 0 ? 0 : distinct.size / plannedRecipes.length,
    leftovers_utility: leftoversUtility(context, distinct, recipesById),
    constraint_respect: violations === 0 ? 1 : 0,
    violations,
    predicted_edits,
    actual_edits,
    edit_rate: predicted_edits / union.size,
    latency_ms,
    cost_usd,
    policy_failed: 0,
  };
}

/** Unknown recipe ids contribute no ingredients: the constraint check already counts them as violations. */
function leftoversUtility(context: InputContext, recipeIds: ReadonlySet<string>, recipesById: ReadonlyMap<string, Recipe>): number {
  const { expiring } = pantryStatus(context.pantry, context.as_of);
  if (expiring.length === 0) return 1;
  const used = new Set<string>();
  for (const id of recipeIds) {
    const recipe = recipesById.get(id);
    if (recipe !== undefined) for (const ingredient of recipe.ingredients) used.add(normalizeTerm(ingredient));
  }
  return expiring.filter((term) => used.has(term)).length / expiring.length;
}
