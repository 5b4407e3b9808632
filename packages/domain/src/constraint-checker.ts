import type { MealSlot, WeeklyPlan } from '@planner/schemas';
import type { Constraints } from './constraints.ts';
import type { Recipe } from './recipe.ts';
import { normalizeTerm } from './term.ts';

/** Stable kinds: metrics, gate evidence and dashboards group on them. */
export type ViolationKind = 'allergen' | 'diet' | 'budget' | 'prep_time' | 'excluded_ingredient' | 'unknown_recipe';

export interface Violation {
  kind: ViolationKind;
  /** Where in the plan; null for the week-level budget violation. */
  day: number | null;
  slot: MealSlot | null;
  recipe_id: string | null;
  /** What was broken: the allergen, the diet, the ingredient, or the figures compared. */
  detail: string;
}

/** A recipe's violations of the per-recipe constraints (everything but the budget, which is a property of the week). */
export interface RecipeViolation {
  kind: Exclude<ViolationKind, 'budget' | 'unknown_recipe'>;
  detail: string;
}

/** A vegan recipe is vegetarian even when its tags only say vegan. */
function satisfiesDiet(tags: readonly string[], diet: string): boolean {
  return tags.includes(diet) || (diet === 'vegetarian' && tags.includes('vegan'));
}

interface NormalizedRecipe {
  allergens: ReadonlySet<string>;
  ingredients: ReadonlySet<string>;
  tags: readonly string[];
}

// Recipes are treated as immutable values: the checker runs for every recipe × household in the generator and the replay.
const normalized = new WeakMap<Recipe, NormalizedRecipe>();

function normalizedRecipe(recipe: Recipe): NormalizedRecipe {
  let found = normalized.get(recipe);
  if (found === undefined) {
    found = {
      allergens: new Set(recipe.allergens.map(normalizeTerm)),
      ingredients: new Set(recipe.ingredients.map(normalizeTerm)),
      tags: recipe.diet_tags.map(normalizeTerm),
    };
    normalized.set(recipe, found);
  }
  return found;
}

export function recipeViolations(recipe: Recipe, constraints: Constraints): RecipeViolation[] {
  const found: RecipeViolation[] = [];
  const terms = normalizedRecipe(recipe);
  for (const allergy of constraints.allergies) {
    const term = normalizeTerm(allergy);
    if (terms.allergens.has(term)) found.push({ kind: 'allergen', detail: term });
  }
  if (constraints.diet !== null) {
    const diet = normalizeTerm(constraints.diet);
    if (!satisfiesDiet(terms.tags, diet)) found.push({ kind: 'diet', detail: diet });
  }
  if (constraints.max_prep_minutes !== null && recipe.prep_minutes > constraints.max_prep_minutes) {
    found.push({ kind: 'prep_time', detail: `${recipe.prep_minutes} > ${constraints.max_prep_minutes} minutes` });
  }
  for (const excluded of constraints.excluded_ingredients) {
    const term = normalizeTerm(excluded);
    if (terms.ingredients.has(term)) found.push({ kind: 'excluded_ingredient', detail: term });
  }
  return found;
}

export function isRecipeAllowed(recipe: Recipe, constraints: Constraints): boolean {
  return recipeViolations(recipe, constraints).length === 0;
}

export function indexRecipes(recipes: Iterable<Recipe>): Map<string, Recipe> {
  const byId = new Map<string, Recipe>();
  for (const recipe of recipes) byId.set(recipe.recipe_id, recipe);
  return byId;
}

/** Σ cost_per_serving × household size over the plan's known recipes, in USD. */
export function planCost(plan: WeeklyPlan, recipesById: ReadonlyMap<string, Recipe>, householdSize: number): number {
  let total = 0;
  for (const day of plan.days) {
    for (const meal of day.meals) {
      const recipe = recipesById.get(meal.recipe_id);
      if (recipe !== undefined) total += recipe.cost_per_serving * householdSize;
    }
  }
  return total;
}

/** Floating-point sums of cents must not fail a plan that costs exactly the budget. */
const BUDGET_TOLERANCE_USD = 1e-9;

/**
 * Every way the plan breaks the household's constraints, in plan order (per
 * meal: unknown recipe, allergens, diet, prep time, excluded ingredients), then
 * the budget. An empty list is the hard gate's "zero violations". A recipe id
 * missing from the catalogue is a violation, not a pass: nothing is known about it.
 */
export function checkPlan(
  plan: WeeklyPlan,
  recipesById: ReadonlyMap<string, Recipe>,
  constraints: Constraints,
  householdSize: number,
): Violation[] {
  const violations: Violation[] = [];
  for (const day of plan.days) {
    for (const meal of day.meals) {
      const at = { day: day.day, slot: meal.slot, recipe_id: meal.recipe_id };
      const recipe = recipesById.get(meal.recipe_id);
      if (recipe === undefined) {
        violations.push({ kind: 'unknown_recipe', ...at, detail: `recipe '${meal.recipe_id}' is not in the catalogue` });
        continue;
      }
      for (const found of recipeViolations(recipe, constraints)) violations.push({ kind: found.kind, ...at, detail: found.detail });
    }
  }
  if (constraints.weekly_budget_usd !== null) {
    const cost = planCost(plan, recipesById, householdSize);
    if (cost > constraints.weekly_budget_usd + BUDGET_TOLERANCE_USD) {
      violations.push({
        kind: 'budget',
        day: null,
        slot: null,
        recipe_id: null,
        detail: `${cost.toFixed(2)} > ${constraints.weekly_budget_usd.toFixed(2)} USD`,
      });
    }
  }
  return violations;
}
