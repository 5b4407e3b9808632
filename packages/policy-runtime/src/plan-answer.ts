import { DAYS_PER_WEEK, MEAL_SLOTS, type MealSlot, normalizePlan, type WeeklyPlan } from '@planner/domain';
import { PolicyError } from './policy-error.ts';

/** The answer shape LLM planners are asked for (the codec's prompt asks for the same). */
export const PLAN_ANSWER_SHAPE = '{"days":[{"day":0..6,"meals":[{"slot":"breakfast|lunch|dinner","recipe_id":"..."}]}]}';

function unusable(reason: string): never {
  throw new PolicyError('POLICY_OUTPUT_INVALID', `policy answer is not a usable plan: ${reason}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Chat models sometimes wrap JSON in a Markdown fence even when told not to; the fence carries no meaning.
const FENCED = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/;

/**
 * Reads an LLM planner's answer into a plan, or throws POLICY_OUTPUT_INVALID
 * with the reason: not JSON, not the asked shape, a day or slot missing or
 * repeated, or a recipe id the catalogue lacks (the model invented it). The
 * plan must cover every day 0..6 with breakfast, lunch and dinner, as the
 * model was told — otherwise an empty answer would pass the constraint gate.
 * Meals are returned in day and slot order.
 */
export function parsePlanAnswer(content: string, catalogueIds: ReadonlySet<string>): WeeklyPlan {
  const trimmed = content.trim();
  const body = FENCED.exec(trimmed)?.[1] ?? trimmed;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    unusable(`not JSON: ${describe(trimmed)}`);
  }
  if (!isObject(value) || !Array.isArray(value.days)) unusable(`expected ${PLAN_ANSWER_SHAPE}, got ${describe(value)}`);
  const days = new Map<number, WeeklyPlan['days'][number]>();
  value.days.forEach((dayValue: unknown, i: number) => {
    if (!isObject(dayValue)) unusable(`days[${i}] must be an object, got ${describe(dayValue)}`);
    const day = dayValue.day;
    if (typeof day !== 'number' || !Number.isInteger(day) || day < 0 || day >= DAYS_PER_WEEK) {
      unusable(`days[${i}].day must be an integer from 0 to ${DAYS_PER_WEEK - 1}, got ${describe(day)}`);
    }
    if (days.has(day)) unusable(`day ${day} appears twice`);
    if (!Array.isArray(dayValue.meals)) unusable(`days[${i}].meals must be an array, got ${describe(dayValue.meals)}`);
    const slots = new Set<MealSlot>();
    const meals = dayValue.meals.map((mealValue: unknown, j: number) => {
      const at = `days[${i}].meals[${j}]`;
      if (!isObject(mealValue)) unusable(`${at} must be an object, got ${describe(mealValue)}`);
      const { slot, recipe_id: recipeId } = mealValue;
      if (typeof slot !== 'string' || !(MEAL_SLOTS as readonly string[]).includes(slot)) {
        unusable(`${at}.slot must be one of ${MEAL_SLOTS.join(', ')}, got ${describe(slot)}`);
      }
      if (slots.has(slot as MealSlot)) unusable(`day ${day} has ${slot} twice`);
      slots.add(slot as MealSlot);
      if (typeof recipeId !== 'string' || recipeId === '')
        unusable(`${at}.recipe_id must be a non-empty string, got ${describe(recipeId)}`);
      if (!catalogueIds.has(recipeId)) unusable(`${at}.recipe_id '${recipeId}' is not in the recipe catalogue`);
      return { slot: slot as MealSlot, recipe_id: recipeId };
    });
    const missing = MEAL_SLOTS.filter((slot) => !slots.has(slot));
    if (missing.length > 0) unusable(`day ${day} lacks ${missing.join(', ')}`);
    days.set(day, { day, meals });
  });
  for (let day = 0; day < DAYS_PER_WEEK; day++) if (!days.has(day)) unusable(`day ${day} is missing`);
  return normalizePlan({ days: [...days.values()] });
}
