import type { MealSlot, WeeklyPlan } from '@planner/schemas';

export const DAYS_PER_WEEK = 7;
/** In the order a day is eaten; plans list meals in this order. */
export const MEAL_SLOTS: readonly MealSlot[] = ['breakfast', 'lunch', 'dinner'];

export interface PlannedMealAt {
  day: number;
  slot: MealSlot;
  recipe_id: string;
}

/** The plan's meals as a flat list, in the plan's own order. */
export function planMeals(plan: WeeklyPlan): PlannedMealAt[] {
  const meals: PlannedMealAt[] = [];
  for (const day of plan.days) for (const meal of day.meals) meals.push({ day: day.day, slot: meal.slot, recipe_id: meal.recipe_id });
  return meals;
}

/** The same plan with days by number and meals by slot order, so equal plans compare (and serialise) equal. */
export function normalizePlan(plan: WeeklyPlan): WeeklyPlan {
  const slotRank = (slot: MealSlot) => MEAL_SLOTS.indexOf(slot);
  return {
    days: [...plan.days]
      .sort((a, b) => a.day - b.day)
      .map((day) => ({
        day: day.day,
        meals: [...day.meals]
          .sort((a, b) => slotRank(a.slot) - slotRank(b.slot) || (a.recipe_id < b.recipe_id ? -1 : a.recipe_id > b.recipe_id ? 1 : 0))
          .map((meal) => ({ slot: meal.slot, recipe_id: meal.recipe_id })),
      })),
  };
}
