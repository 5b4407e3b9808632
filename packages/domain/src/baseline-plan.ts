import type { MealSlot, PlannedMeal, WeeklyPlan } from '@planner/schemas';
import { isRecipeAllowed } from './constraint-checker.ts';
import type { Constraints } from './constraints.ts';
import type { InputContext } from './input-context.ts';
import { pantryStatus } from './pantry.ts';
import type { Recipe } from './recipe.ts';
import { hashUnit } from './stable-hash.ts';
import { normalizeTerm } from './term.ts';
import { DAYS_PER_WEEK, MEAL_SLOTS } from './weekly-plan.ts';

/** The policy version id the heuristic baseline's plans carry. */
export const BASELINE_POLICY_VERSION = 'heuristic-baseline-v1';

/**
 * What "everyone" likes, independent of any household: a fixed score per
 * cuisine plus a stable per-recipe jitter. It is deliberately blind to the
 * segment tastes users act on — that gap is what a learned model can close.
 */
const CUISINE_POPULARITY: Readonly<Record<string, number>> = {
  italian: 0.8,
  american: 0.75,
  mexican: 0.7,
  chinese: 0.7,
  indian: 0.6,
  japanese: 0.6,
  mediterranean: 0.55,
  thai: 0.55,
};

export function genericPopularity(recipe: Recipe): number {
  return (CUISINE_POPULARITY[normalizeTerm(recipe.cuisine)] ?? 0.5) + 0.3 * hashUnit(recipe.recipe_id);
}

/** Scoring weights, fixed so the baseline is reproducible; pantry-first planning doubles the pantry terms. */
const WEIGHTS = { present: 0.15, presentCap: 3, expiring: 1.0, previousWeek: -0.3, pantryFirstFactor: 2 } as const;

const BUDGET_TOLERANCE_USD = 1e-9;

/** Per catalogue, computed once: ids, costs, slot lists and ingredient ids as typed arrays, so planning a week costs microseconds. */
interface CatalogueIndex {
  recipes: Recipe[];
  popularity: Float64Array;
  cost: Float64Array;
  ingredients: Int32Array[];
  ingredientIds: Map<string, number>;
  indexOf: Map<string, number>;
  /** Allowed recipe indices per slot, by constraint signature; bounded, cleared when full. */
  allowed: Map<string, AllowedLists>;
  /** Working memory reused by every call (planning is synchronous): allocating it per plan cost more than the planning. */
  scratch: Scratch;
}

interface Scratch {
  base: Float64Array;
  expiringMask: Int32Array;
  pantryLevel: Uint8Array;
  uses: Uint16Array;
  /** Per-recipe stamps: "scored in this plan", "in last week's plan", "reserved by this look-ahead". */
  scored: Int32Array;
  previous: Int32Array;
  reserved: Int32Array;
  present: Uint8Array;
  expiringBit: Int32Array;
  stamp: number;
}

const ALLOWED_CACHE_LIMIT = 4096;
const indexes = new WeakMap<readonly Recipe[], CatalogueIndex>();

function indexCatalogue(catalogue: readonly Recipe[]): CatalogueIndex {
  const cached = indexes.get(catalogue);
  if (cached !== undefined) return cached;
  // Sorted by id: ties break by recipe_id and the plan does not depend on the catalogue's order.
  const recipes = [...catalogue].sort((a, b) => (a.recipe_id < b.recipe_id ? -1 : a.recipe_id > b.recipe_id ? 1 : 0));
  const ingredientIds = new Map<string, number>();
  const intern = (name: string) => {
    const term = normalizeTerm(name);
    let id = ingredientIds.get(term);
    if (id === undefined) {
      id = ingredientIds.size;
      ingredientIds.set(term, id);
    }
    return id;
  };
  const index: CatalogueIndex = {
    recipes,
    popularity: Float64Array.from(recipes, genericPopularity),
    cost: Float64Array.from(recipes, (r) => r.cost_per_serving),
    ingredients: recipes.map((r) => Int32Array.from(new Set(r.ingredients.map(intern)))),
    ingredientIds,
    indexOf: new Map(recipes.map((r, i) => [r.recipe_id, i])),
    allowed: new Map(),
    scratch: {
      base: new Float64Array(recipes.length),
      expiringMask: new Int32Array(recipes.length),
      pantryLevel: new Uint8Array(recipes.length),
      uses: new Uint16Array(recipes.length),
      scored: new Int32Array(recipes.length),
      previous: new Int32Array(recipes.length),
      reserved: new Int32Array(recipes.length),
      present: new Uint8Array(ingredientIds.size),
      expiringBit: new Int32Array(ingredientIds.size),
      stamp: 0,
    },
  };
  indexes.set(catalogue, index);
  return index;
}

interface AllowedLists {
  /** Allowed recipe indices per slot, in id order. */
  bySlot: Int32Array[];
  /** The same per slot, cheapest first: the budget look-ahead and repair walk these. */
  byCost: Int32Array[];
  /** The same per slot, most popular first (ties: id order): the search stops once popularity cannot win. */
  byPopularity: Int32Array[];
}

function allowedFor(index: CatalogueIndex, constraints: Constraints): AllowedLists {
  const key = JSON.stringify([
    [...new Set(constraints.allergies.map(normalizeTerm))].sort(),
    constraints.diet === null ? null : normalizeTerm(constraints.diet),
    constraints.max_prep_minutes,
    [...new Set(constraints.excluded_ingredients.map(normalizeTerm))].sort(),
  ]);
  const cached = index.allowed.get(key);
  if (cached !== undefined) return cached;
  const perSlot: number[][] = MEAL_SLOTS.map(() => []);
  index.recipes.forEach((recipe, i) => {
    if (!isRecipeAllowed(recipe, constraints)) return;
    MEAL_SLOTS.forEach((slot, s) => {
      if (recipe.meal_slots.includes(slot)) perSlot[s]?.push(i);
    });
  });
  const byCost = (list: number[]) =>
    Int32Array.from([...list].sort((a, b) => (index.cost[a] as number) - (index.cost[b] as number) || a - b));
  const byPopularity = (list: number[]) =>
    Int32Array.from([...list].sort((a, b) => (index.popularity[b] as number) - (index.popularity[a] as number) || a - b));
  const result = {
    bySlot: perSlot.map((list) => Int32Array.from(list)),
    byCost: perSlot.map(byCost),
    byPopularity: perSlot.map(byPopularity),
  };
  if (index.allowed.size >= ALLOWED_CACHE_LIMIT) index.allowed.clear();
  index.allowed.set(key, result);
  return result;
}

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** At most this many expiring ingredients get their own bit; more than 30 expiring at once does not happen in a kitchen. */
const MAX_EXPIRING_TRACKED = 30;
const STAMP_RESET = 1 << 30;

const SLOTS = MEAL_SLOTS.length;
/** Position k of the week is day ⌊k / 3⌋, slot k mod 3. */
const POSITIONS = DAYS_PER_WEEK * SLOTS;
/** NEEDED_AFTER[k][s]: how many positions after k are slot s. */
const NEEDED_AFTER = Array.from({ length: POSITIONS }, (_, k) =>
  Int32Array.from(
    MEAL_SLOTS,
    (_, s) => Array.from({ length: POSITIONS - k - 1 }, (_, i) => k + 1 + i).filter((j) => j % SLOTS === s).length,
  ),
);

/**
 * The heuristic baseline policy. Deterministic and pure (given the same
 * context and catalogue contents, the same plan, whatever the catalogue's
 * order); expects a validated context.
 *
 * - constraint-safe: only recipes passing every per-recipe constraint
 *   (allergens, diet, prep time, excluded ingredients) are ever planned; a
 *   slot with no such recipe stays empty rather than break a constraint;
 * - budget-aware: a recipe is taken only if the cheapest completion of the
 *   remaining slots still fits the weekly budget; a week still over budget is
 *   repaired by swapping in cheaper safe recipes, largest saving first;
 * - pantry-aware: +1 per expiring pantry ingredient the recipe uses that no
 *   earlier meal has used yet (so they land early in the week), +0.15 per
 *   pantry ingredient it uses (at most 3); both doubled for the pantry-first workflow;
 * - otherwise by generic popularity, −0.3 for last week's recipes, never the
 *   same recipe twice in the week unless the slot has no other safe recipe.
 *
 * Days 0–6 × breakfast, lunch, dinner, each honouring recipe.meal_slots.
 * The catalogue is indexed once per array (kept while the array lives): pass
 * the same array on every call, and never mutate it.
 */
export function baselinePlan(ctx: InputContext, catalogue: readonly Recipe[]): WeeklyPlan {
  const index = indexCatalogue(catalogue);
  const allowed = allowedFor(index, ctx.constraints);
  const size = ctx.household.size;
  const cost = index.cost;
  const pantryFactor = ctx.workflow_type === 'pantry_first' ? WEIGHTS.pantryFirstFactor : 1;

  const { base, expiringMask, pantryLevel, uses, scored, previous, reserved, present, expiringBit } = index.scratch;
  if (index.scratch.stamp > STAMP_RESET) {
    // Stamps only ever grow; long before they overflow, start the marks afresh.
    index.scratch.stamp = 0;
    for (const marks of [scored, previous, reserved]) marks.fill(0);
  }
  const planStamp = ++index.scratch.stamp;
  present.fill(0);
  expiringBit.fill(0);
  uses.fill(0);
  const pantry = pantryStatus(ctx.pantry, ctx.as_of);
  for (const name of pantry.present) {
    const id = index.ingredientIds.get(name);
    if (id !== undefined) present[id] = 1;
  }
  let bits = 0;
  for (const name of pantry.expiring) {
    const id = index.ingredientIds.get(name);
    if (id !== undefined && bits < MAX_EXPIRING_TRACKED) expiringBit[id] = 1 << bits++;
  }
  for (const day of ctx.previous_plan?.days ?? []) {
    for (const meal of day.meals) {
      const r = index.indexOf.get(meal.recipe_id);
      if (r !== undefined) previous[r] = planStamp;
    }
  }

  // Static part of each recipe's score and the expiring ingredients it would use.
  for (const list of allowed.bySlot) {
    for (let i = 0; i < list.length; i++) {
      const r = list[i] as number;
      if (scored[r] === planStamp) continue;
      scored[r] = planStamp;
      const ingredients = index.ingredients[r] as Int32Array;
      let inPantry = 0;
      let mask = 0;
      for (let j = 0; j < ingredients.length; j++) {
        const id = ingredients[j] as number;
        inPantry += present[id] as number;
        mask |= expiringBit[id] as number;
      }
      pantryLevel[r] = Math.min(inPantry, WEIGHTS.presentCap);
      base[r] =
        (index.popularity[r] as number) +
        WEIGHTS.present * pantryFactor * (pantryLevel[r] as number) +
        (previous[r] === planStamp ? WEIGHTS.previousWeek : 0);
      expiringMask[r] = mask;
    }
  }
  // The search, per slot: recipes using expiring items (few) exhaustively; the others grouped
  // by pantry level, each group in popularity order, where a group's score is its popularity
  // plus a constant (less for last week's recipes) — so each group's scan stops at its first
  // eligible recipe that can no longer win.
  const boosted: number[][] = [];
  const levels: number[][][] = [];
  for (let s = 0; s < SLOTS; s++) {
    const own: number[] = [];
    const groups: number[][] = Array.from({ length: WEIGHTS.presentCap + 1 }, () => []);
    const list = allowed.byPopularity[s] as Int32Array;
    for (let i = 0; i < list.length; i++) {
      const r = list[i] as number;
      if (expiringMask[r] !== 0) own.push(r);
      else groups[pantryLevel[r] as number]?.push(r);
    }
    boosted.push(own);
    levels.push(groups);
  }
  const levelBonus = (level: number) => WEIGHTS.present * pantryFactor * level;

  const budget = ctx.constraints.weekly_budget_usd;
  /** Lower bound on the cost of filling positions after `k` with recipes not yet used. */
  const cheapestCompletion = (k: number): number => {
    const stamp = ++index.scratch.stamp;
    let total = 0;
    for (let s = 0; s < SLOTS; s++) {
      const list = allowed.byCost[s] as Int32Array;
      let need = (NEEDED_AFTER[k] as Int32Array)[s] as number;
      for (let i = 0; i < list.length && need > 0; i++) {
        const r = list[i] as number;
        if (uses[r] !== 0 || reserved[r] === stamp) continue;
        reserved[r] = stamp;
        total += (cost[r] as number) * size;
        need--;
      }
      // Fewer unused recipes than slots: the rest repeat the cheapest.
      if (need > 0 && list.length > 0) total += need * (cost[list[0] as number] as number) * size;
    }
    return total;
  };

  const expiringWeight = WEIGHTS.expiring * pantryFactor;
  const chosen = new Int32Array(POSITIONS).fill(-1);
  let covered = 0;
  let spent = 0;
  for (let k = 0; k < POSITIONS; k++) {
    const s = k % SLOTS;
    const candidates = allowed.bySlot[s] as Int32Array;
    if (candidates.length === 0) continue;
    const limit = budget === null ? Number.POSITIVE_INFINITY : budget + BUDGET_TOLERANCE_USD - spent - cheapestCompletion(k);
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    // Highest score wins; equal scores go to the lower index (recipe id order), exactly as a full scan would.
    const consider = (r: number, score: number) => {
      if (score > bestScore || (score === bestScore && r < best)) {
        bestScore = score;
        best = r;
      }
    };
    for (const r of boosted[s] as number[]) {
      if (uses[r] !== 0 || (cost[r] as number) * size > limit) continue;
      consider(r, (base[r] as number) + expiringWeight * popcount((expiringMask[r] as number) & ~covered));
    }
    (levels[s] as number[][]).forEach((group, level) => {
      const bonus = levelBonus(level);
      for (const r of group) {
        if ((index.popularity[r] as number) + bonus < bestScore) break;
        if (uses[r] !== 0 || (cost[r] as number) * size > limit) continue;
        consider(r, base[r] as number);
      }
    });
    if (best < 0) best = firstUnused(allowed.byCost[s] as Int32Array, uses);
    if (best < 0) best = leastRepeated(candidates, uses, base);
    chosen[k] = best;
    uses[best] = (uses[best] as number) + 1;
    covered |= expiringMask[best] as number;
    spent += (cost[best] as number) * size;
  }

  if (budget !== null) spent = repairBudget(chosen, allowed, uses, cost, size, spent, budget);

  const days: { day: number; meals: PlannedMeal[] }[] = [];
  for (let day = 0; day < DAYS_PER_WEEK; day++) {
    const meals: PlannedMeal[] = [];
    for (let s = 0; s < SLOTS; s++) {
      const r = chosen[day * SLOTS + s] as number;
      if (r >= 0) meals.push({ slot: MEAL_SLOTS[s] as MealSlot, recipe_id: (index.recipes[r] as Recipe).recipe_id });
    }
    days.push({ day, meals });
  }
  return { days };
}

/** Swaps meals for the cheapest unused safe recipe of their slot, largest saving first, until the week fits (or nothing cheaper is left). */
function repairBudget(
  chosen: Int32Array,
  allowed: AllowedLists,
  uses: Uint16Array,
  cost: Float64Array,
  size: number,
  spentBefore: number,
  budget: number,
): number {
  let spent = spentBefore;
  while (spent > budget + BUDGET_TOLERANCE_USD) {
    let bestPosition = -1;
    let bestReplacement = -1;
    let bestSaving = 0;
    for (let k = 0; k < POSITIONS; k++) {
      const current = chosen[k] as number;
      if (current < 0) continue;
      const list = allowed.byCost[k % SLOTS] as Int32Array;
      for (let i = 0; i < list.length; i++) {
        const r = list[i] as number;
        if (uses[r] !== 0) continue;
        const saving = ((cost[current] as number) - (cost[r] as number)) * size;
        if (saving > bestSaving) {
          bestSaving = saving;
          bestPosition = k;
          bestReplacement = r;
        }
        break;
      }
    }
    if (bestPosition < 0) break;
    const old = chosen[bestPosition] as number;
    uses[old] = (uses[old] as number) - 1;
    uses[bestReplacement] = (uses[bestReplacement] as number) + 1;
    chosen[bestPosition] = bestReplacement;
    spent -= bestSaving;
  }
  return spent;
}
/** The cheapest recipe of the slot not yet in the week, or −1. */
function firstUnused(byCost: Int32Array, uses: Uint16Array): number {
  for (let i = 0; i < byCost.length; i++) if (uses[byCost[i] as number] === 0) return byCost[i] as number;
  return -1;
}

/** Every safe recipe for the slot is already in the week: repeat the least-used, best-scored one. */
function leastRepeated(candidates: Int32Array, uses: Uint16Array, base: Float64Array): number {
  let best = candidates[0] as number;
  for (const r of candidates) {
    const fewer = (uses[r] as number) < (uses[best] as number);
    if (fewer || (uses[r] === uses[best] && (base[r] as number) > (base[best] as number))) best = r;
  }
  return best;
}
