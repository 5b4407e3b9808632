import type { MealSlot, PlanEdit, PlanMode, WeeklyPlan } from '@planner/schemas';
import { isRecipeAllowed } from '../constraint-checker.ts';
import type { Constraints } from '../constraints.ts';
import { type Household, type Region, type SizeBand, sizeBand } from '../household.ts';
import type { Recipe } from '../recipe.ts';
import { MEAL_SLOTS } from '../weekly-plan.ts';
import { DISLIKE_THRESHOLD, personalTaste, segmentPreference } from './hidden-preferences.ts';
import type { SeededRandom } from './seeded-random.ts';

/**
 * How users treat the plan they are shown. Per meal, in the order they look
 * at them (shuffled):
 * - a disliked meal (hidden score < DISLIKE_THRESHOLD) is swapped with
 *   probability 0.8, any other with 0.03 — both × the mode's factor
 *   (autopilot 0.6: they barely look; exploratory 1.3);
 * - the replacement is one of the 5 recipes they like best for that slot
 *   among those that respect their constraints, are not already in the plan,
 *   and keep the plan within budget — and must beat the meal it replaces;
 * - a user with constraints first reaches for a forbidden favourite 10% of
 *   the time: the product's validator blocks it (validator_intervened) and the
 *   user then makes the safe swap;
 * - finally the plan is rejected with probability `rejectRate`, else accepted.
 */
export const USER_RATES = {
  editDisliked: 0.8,
  editOther: 0.03,
  maxEdit: 0.95,
  replacementPool: 5,
  tryForbidden: 0.1,
  modeFactor: { autopilot: 0.6, exploratory: 1.3, constrained: 1, none: 1 } as Record<PlanMode | 'none', number>,
} as const;

const BUDGET_TOLERANCE_USD = 1e-9;
const ALLOWED_CACHE_LIMIT = 4096;

interface Allowed {
  mask: Uint8Array;
  bySlot: Int32Array[];
}

/** The catalogue as the simulation needs it: typed arrays and per-segment scores, computed once per stream. */
export class CatalogueView {
  readonly recipes: readonly Recipe[];
  readonly indexOf: ReadonlyMap<string, number>;
  readonly cost: Float64Array;
  readonly #bySlot: Int32Array[];
  readonly #cuisines: string[];
  readonly #cuisineOf: Int32Array;
  readonly #segmentScores = new Map<string, Float64Array>();
  readonly #allowed = new Map<string, Allowed>();

  constructor(recipes: readonly Recipe[]) {
    this.recipes = recipes;
    this.indexOf = new Map(recipes.map((r, i) => [r.recipe_id, i]));
    this.cost = Float64Array.from(recipes, (r) => r.cost_per_serving);
    this.#bySlot = MEAL_SLOTS.map((slot) => Int32Array.from(recipes.flatMap((r, i) => (r.meal_slots.includes(slot) ? [i] : []))));
    this.#cuisines = [...new Set(recipes.map((r) => r.cuisine))];
    this.#cuisineOf = Int32Array.from(recipes, (r) => this.#cuisines.indexOf(r.cuisine));
  }

  /** Hidden scores of every recipe for one household: equal, number for number, to hiddenPreferenceScore. */
  scoresFor(household: Household): Float64Array {
    const region: Region = household.region;
    const band: SizeBand = sizeBand(household.size);
    const key = `${region}|${band}`;
    let segment = this.#segmentScores.get(key);
    if (segment === undefined) {
      segment = Float64Array.from(this.recipes, (r) => segmentPreference(region, band, r));
      this.#segmentScores.set(key, segment);
    }
    const personal = this.#cuisines.map((c) => personalTaste(household.household_id, c));
    const scores = new Float64Array(this.recipes.length);
    for (let r = 0; r < scores.length; r++) scores[r] = (segment[r] as number) + (personal[this.#cuisineOf[r] as number] as number);
    return scores;
  }

  allowedFor(constraints: Constraints): Allowed {
    const key = JSON.stringify([constraints.allergies, constraints.diet, constraints.max_prep_minutes, constraints.excluded_ingredients]);
    let allowed = this.#allowed.get(key);
    if (allowed === undefined) {
      const mask = Uint8Array.from(this.recipes, (r) => (isRecipeAllowed(r, constraints) ? 1 : 0));
      allowed = { mask, bySlot: this.#bySlot.map((list) => list.filter((r) => mask[r] === 1)) };
      if (this.#allowed.size >= ALLOWED_CACHE_LIMIT) this.#allowed.clear();
      this.#allowed.set(key, allowed);
    }
    return allowed;
  }

  slotRecipes(slot: number): Int32Array {
    return this.#bySlot[slot] as Int32Array;
  }
}

export type SessionStep = { kind: 'validator_intervened'; edit: PlanEdit } | { kind: 'plan_edited'; edit: PlanEdit };

export interface SessionOutcome {
  steps: SessionStep[];
  /** Every applied edit, in order (what plan_accepted carries). */
  edits: PlanEdit[];
  finalPlan: WeeklyPlan;
  accepted: boolean;
}

export interface UserSession {
  view: CatalogueView;
  household: Household;
  constraints: Constraints;
  mode: null | PlanMode;
  plan: WeeklyPlan;
  rejectRate: number;
  rng: SeededRandom;
}

interface Position {
  day: number;
  slot: number;
  recipe: number;
}

function hasHardConstraints(c: Constraints): boolean {
  return c.allergies.length > 0 || c.diet !== null || c.max_prep_minutes !== null || c.excluded_ingredients.length > 0;
}

/** Plays one user's review of a generated plan; deterministic given the session's random stream. */
export function simulateUser(session: UserSession): SessionOutcome {
  const { view, household, constraints, rng } = session;
  const scores = view.scoresFor(household);
  const allowed = view.allowedFor(constraints);
  const size = household.size;
  const budget = constraints.weekly_budget_usd;
  const factor = USER_RATES.modeFactor[session.mode ?? 'none'];

  const positions: Position[] = [];
  for (const day of session.plan.days) {
    for (const meal of day.meals) {
      const recipe = view.indexOf.get(meal.recipe_id);
      if (recipe !== undefined) positions.push({ day: day.day, slot: MEAL_SLOTS.indexOf(meal.slot), recipe });
    }
  }
  const inPlan = new Map<number, number>();
  let total = 0;
  for (const p of positions) {
    inPlan.set(p.recipe, (inPlan.get(p.recipe) ?? 0) + 1);
    total += (view.cost[p.recipe] as number) * size;
  }

  const steps: SessionStep[] = [];
  const edits: PlanEdit[] = [];
  for (const position of rng.sample(positions, positions.length)) {
    const current = position.recipe;
    const liking = scores[current] as number;
    const p = Math.min(USER_RATES.maxEdit, (liking < DISLIKE_THRESHOLD ? USER_RATES.editDisliked : USER_RATES.editOther) * factor);
    if (!rng.chance(p)) continue;

    const currentCost = (view.cost[current] as number) * size;
    const pool = topCandidates(allowed.bySlot[position.slot] as Int32Array, scores, liking, (r) => {
      if (inPlan.has(r)) return false;
      const cost = (view.cost[r] as number) * size;
      return budget === null || cost <= currentCost || total - currentCost + cost <= budget + BUDGET_TOLERANCE_USD;
    });
    if (pool.length === 0) continue;
    const slot = MEAL_SLOTS[position.slot] as MealSlot;
    const at = { day: position.day, slot, from_recipe_id: (view.recipes[current] as Recipe).recipe_id };

    if (hasHardConstraints(constraints) && rng.chance(USER_RATES.tryForbidden)) {
      const [forbidden] = topCandidates(view.slotRecipes(position.slot), scores, liking, (r) => allowed.mask[r] === 0, 1);
      if (forbidden !== undefined)
        steps.push({ kind: 'validator_intervened', edit: { ...at, to_recipe_id: (view.recipes[forbidden] as Recipe).recipe_id } });
    }
    const chosen = rng.pick(pool);
    const edit: PlanEdit = { ...at, to_recipe_id: (view.recipes[chosen] as Recipe).recipe_id };
    steps.push({ kind: 'plan_edited', edit });
    edits.push(edit);
    const left = (inPlan.get(current) ?? 1) - 1;
    if (left === 0) inPlan.delete(current);
    else inPlan.set(current, left);
    inPlan.set(chosen, 1);
    total += (view.cost[chosen] as number) * size - currentCost;
    position.recipe = chosen;
  }

  const finalPlan: WeeklyPlan = {
    days: session.plan.days.map((day) => ({
      day: day.day,
      meals: day.meals.map((meal) => {
        const edited = positions.find((p) => p.day === day.day && MEAL_SLOTS[p.slot] === meal.slot);
        return { slot: meal.slot, recipe_id: edited === undefined ? meal.recipe_id : (view.recipes[edited.recipe] as Recipe).recipe_id };
      }),
    })),
  };
  return { steps, edits, finalPlan, accepted: !rng.chance(session.rejectRate) };
}

/** The best-liked recipes of `list` that pass `keep` and beat `floor`, best first (ties: catalogue order). */
function topCandidates(
  list: Int32Array,
  scores: Float64Array,
  floor: number,
  keep: (r: number) => boolean,
  limit: number = USER_RATES.replacementPool,
): number[] {
  const top: number[] = [];
  for (const r of list) {
    const score = scores[r] as number;
    if (score <= floor) continue;
    if (top.length === limit && score <= (scores[top[limit - 1] as number] as number)) continue;
    if (!keep(r)) continue;
    let i = top.length < limit ? top.length : limit - 1;
    top[i] = r;
    while (i > 0 && (scores[top[i - 1] as number] as number) < score) {
      top[i] = top[i - 1] as number;
      top[i - 1] = r;
      i--;
    }
  }
  return top;
}
