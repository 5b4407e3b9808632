import type { MealSlot, PlanEdit, WeeklyPlan } from '@planner/schemas';
import { isRecipeAllowed } from './constraint-checker.ts';
import type { Constraints } from './constraints.ts';
import type { Recipe } from './recipe.ts';

/** Floating-point sums of cents must not block a plan that costs exactly the budget. */
const BUDGET_TOLERANCE_USD = 1e-9;

export interface ValidatedPlan {
  /** What the user is shown: the policy's plan with every intervention applied. */
  plan: WeeklyPlan;
  /** One per meal the validator replaced (`to_recipe_id` set) or blocked (`to_recipe_id` null), in the order made. */
  interventions: PlanEdit[];
}

interface Meal {
  day: number;
  slot: MealSlot;
  recipe: Recipe | undefined;
  recipe_id: string;
}

/**
 * The product's validator: what stands between a policy's plan and the user.
 * First every meal the household may not eat (unknown recipe, allergen, diet,
 * prep time, excluded ingredient) is replaced by the cheapest allowed recipe
 * for its slot that is not already planned (ties: recipe id), or blocked when
 * there is none. Then, while the week costs more than the budget, the most
 * expensive meal (ties: plan order) is replaced by the cheapest allowed
 * cheaper recipe not already planned, or blocked. The result breaks no
 * constraint (checkPlan finds nothing), so no user ever sees a violation; the
 * interventions are the policy's mistakes, counted online.
 */
export function validatePlan(
  plan: WeeklyPlan,
  catalogue: readonly Recipe[],
  constraints: Constraints,
  householdSize: number,
): ValidatedPlan {
  const byId = new Map(catalogue.map((r) => [r.recipe_id, r]));
  const meals: Meal[] = plan.days.flatMap((day) =>
    day.meals.map((meal) => ({ day: day.day, slot: meal.slot, recipe_id: meal.recipe_id, recipe: byId.get(meal.recipe_id) })),
  );
  const planned = new Set(meals.map((m) => m.recipe_id));
  const allowed = [...catalogue]
    .filter((r) => isRecipeAllowed(r, constraints))
    .sort((a, b) => a.cost_per_serving - b.cost_per_serving || (a.recipe_id < b.recipe_id ? -1 : 1));
  const interventions: PlanEdit[] = [];
  const blocked = new Set<Meal>();

  const replace = (meal: Meal, cheaperThan: number) => {
    const substitute = allowed.find(
      (r) => r.meal_slots.includes(meal.slot) && !planned.has(r.recipe_id) && r.cost_per_serving < cheaperThan,
    );
    interventions.push({ day: meal.day, slot: meal.slot, from_recipe_id: meal.recipe_id, to_recipe_id: substitute?.recipe_id ?? null });
    if (substitute === undefined) {
      blocked.add(meal);
      return;
    }
    planned.add(substitute.recipe_id);
    meal.recipe = substitute;
    meal.recipe_id = substitute.recipe_id;
  };

  for (const meal of meals) {
    if (meal.recipe === undefined || !isRecipeAllowed(meal.recipe, constraints)) replace(meal, Number.POSITIVE_INFINITY);
  }
  const budget = constraints.weekly_budget_usd;
  if (budget !== null) {
    const cost = () => meals.reduce((sum, m) => sum + (blocked.has(m) ? 0 : (m.recipe as Recipe).cost_per_serving * householdSize), 0);
    while (cost() > budget + BUDGET_TOLERANCE_USD) {
      let priciest: Meal | undefined;
      for (const meal of meals) {
        if (blocked.has(meal)) continue;
        if (priciest === undefined || (meal.recipe as Recipe).cost_per_serving > (priciest.recipe as Recipe).cost_per_serving)
          priciest = meal;
      }
      if (priciest === undefined) break;
      replace(priciest, (priciest.recipe as Recipe).cost_per_serving);
    }
  }
  return {
    plan: {
      days: plan.days.map((day) => ({
        day: day.day,
        meals: meals.filter((m) => m.day === day.day && !blocked.has(m)).map((m) => ({ slot: m.slot, recipe_id: m.recipe_id })),
      })),
    },
    interventions,
  };
}
