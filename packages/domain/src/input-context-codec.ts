import type { PlanMode, WorkflowType } from '@planner/schemas';
import { budgetBand, costBand, maxPrepBand, prepBand } from './bands.ts';
import { canonicalize, type JsonValue } from './canonical-json.ts';
import { sizeBand } from './household.ts';
import { type InputContext, validateInputContext } from './input-context.ts';
import { daysUntil, EXPIRING_WITHIN_DAYS, type PantryItem, pantryStatus } from './pantry.ts';
import type { Recipe } from './recipe.ts';
import { normalizeTerm } from './term.ts';
import { DAYS_PER_WEEK, MEAL_SLOTS, normalizePlan } from './weekly-plan.ts';

/**
 * Stored with every dataset version and replay: a row encoded by one codec
 * version must only ever be replayed through the same version. Bump it on any
 * change to `input`, `features` or `prompt`.
 */
export const CODEC_VERSION = 'input-context/1';

export interface EncodedInputContext {
  /** The context, canonical: terms normalised, sets sorted, keys sorted; same context → byte-identical JSON. */
  input: { [key: string]: JsonValue };
  /** Sorted, deduplicated context tokens (household, constraints, pantry, workflow, mode). */
  features: string[];
  /** The natural-language planning request an LLM planner is sent. */
  prompt: string;
}

const sortedTerms = (values: readonly string[]) => [...new Set(values.map(normalizeTerm))].sort();

function compareItems(a: PantryItem, b: PantryItem): number {
  return (
    (a.ingredient < b.ingredient ? -1 : a.ingredient > b.ingredient ? 1 : 0) ||
    (a.expires_on < b.expires_on ? -1 : a.expires_on > b.expires_on ? 1 : 0) ||
    (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0) ||
    a.quantity - b.quantity
  );
}

function canonicalInput(ctx: InputContext): { [key: string]: JsonValue } {
  const items = ctx.pantry.items.map((item) => ({ ...item, ingredient: normalizeTerm(item.ingredient) })).sort(compareItems);
  return canonicalize({
    household: ctx.household,
    pantry: { ...ctx.pantry, items },
    constraints: {
      ...ctx.constraints,
      allergies: sortedTerms(ctx.constraints.allergies),
      diet: ctx.constraints.diet === null ? null : normalizeTerm(ctx.constraints.diet),
      excluded_ingredients: sortedTerms(ctx.constraints.excluded_ingredients),
    },
    workflow_type: ctx.workflow_type,
    mode: ctx.mode,
    previous_plan: ctx.previous_plan === null ? null : normalizePlan(ctx.previous_plan),
    as_of: ctx.as_of,
  }) as { [key: string]: JsonValue };
}

function contextFeatures(ctx: InputContext): string[] {
  const { household, constraints } = ctx;
  const pantry = pantryStatus(ctx.pantry, ctx.as_of);
  const tokens = [
    `region=${household.region}`,
    `size=${household.size}`,
    `size_band=${sizeBand(household.size)}`,
    `segment=${household.segment}`,
    `workflow=${ctx.workflow_type}`,
    `mode=${ctx.mode ?? 'none'}`,
    `diet=${constraints.diet === null ? 'none' : normalizeTerm(constraints.diet)}`,
    `budget=${constraints.weekly_budget_usd === null ? 'none' : budgetBand(constraints.weekly_budget_usd, household.size)}`,
    `max_prep=${constraints.max_prep_minutes === null ? 'none' : maxPrepBand(constraints.max_prep_minutes)}`,
    ...constraints.allergies.map((a) => `allergy=${normalizeTerm(a)}`),
    ...constraints.excluded_ingredients.map((e) => `excluded=${normalizeTerm(e)}`),
    ...pantry.present.map((i) => `pantry=${i}`),
    ...pantry.expiring.map((i) => `expiring=${i}`),
  ];
  return [...new Set(tokens)].sort();
}

const WORKFLOW_HINTS: Record<WorkflowType, string> = {
  plan_first: 'propose the whole week at once; the household reviews it afterwards',
  meal_first: 'the household looks at one meal at a time, so every meal should stand on its own',
  pantry_first: 'build the week around the pantry, using expiring items first',
};

const MODE_HINTS: Record<PlanMode | 'none', string> = {
  autopilot: 'the household expects to accept the plan as it is',
  exploratory: 'the household welcomes variety and cuisines it has not had lately',
  constrained: 'the household cares most that every constraint and the budget hold',
  none: 'not stated',
};

const listOrNone = (values: readonly string[]) => (values.length === 0 ? 'none' : values.join(', '));

function planningPrompt(ctx: InputContext): string {
  const { household, constraints } = ctx;
  const meals = DAYS_PER_WEEK * MEAL_SLOTS.length;
  const usable = ctx.pantry.items
    .filter((item) => item.quantity > 0 && daysUntil(item.expires_on, ctx.as_of) >= 0)
    .map((item) => ({ ...item, ingredient: normalizeTerm(item.ingredient) }))
    .sort((a, b) => (a.expires_on < b.expires_on ? -1 : a.expires_on > b.expires_on ? 1 : compareItems(a, b)));
  const lines = [
    'Plan one week of meals for a household.',
    `Household ${household.household_id}: region ${household.region}, ${household.size} ${household.size === 1 ? 'person' : 'people'} (${sizeBand(household.size)}), segment ${household.segment}.`,
    `Planning date: ${new Date(ctx.as_of).toISOString().slice(0, 10)}.`,
    `Workflow: ${ctx.workflow_type} — ${WORKFLOW_HINTS[ctx.workflow_type]}.`,
    `Mode: ${ctx.mode ?? 'none'} — ${MODE_HINTS[ctx.mode ?? 'none']}.`,
    'Constraints (hard: a plan that breaks one is rejected):',
    `- allergies: ${listOrNone(sortedTerms(constraints.allergies))}`,
    `- diet: ${constraints.diet === null ? 'none' : normalizeTerm(constraints.diet)}`,
    `- excluded ingredients: ${listOrNone(sortedTerms(constraints.excluded_ingredients))}`,
    `- max prep time per recipe: ${constraints.max_prep_minutes === null ? 'none' : `${constraints.max_prep_minutes} minutes`}`,
    `- weekly budget: ${
      constraints.weekly_budget_usd === null
        ? 'none'
        : `${constraints.weekly_budget_usd.toFixed(2)} USD for ${meals} meals of ${household.size} serving${household.size === 1 ? '' : 's'} each`
    }`,
    `Pantry (soonest expiry first; use items expiring within ${EXPIRING_WITHIN_DAYS} days first):`,
    ...(usable.length === 0
      ? ['- empty']
      : usable.map((item) => {
          const expiring = daysUntil(item.expires_on, ctx.as_of) <= EXPIRING_WITHIN_DAYS ? ' (expiring)' : '';
          return `- ${item.ingredient}: ${item.quantity} ${item.unit}, expires ${item.expires_on}${expiring}`;
        })),
  ];
  if (ctx.previous_plan === null) {
    lines.push('Previous week: no plan.');
  } else {
    lines.push('Previous week (avoid repeating these recipes):');
    for (const day of normalizePlan(ctx.previous_plan).days) {
      lines.push(`- day ${day.day}: ${day.meals.map((m) => `${m.slot} ${m.recipe_id}`).join(', ')}`);
    }
  }
  lines.push(
    'Answer with JSON only, no prose, in this shape:',
    '{"days":[{"day":0,"meals":[{"slot":"breakfast","recipe_id":"..."},{"slot":"lunch","recipe_id":"..."},{"slot":"dinner","recipe_id":"..."}]}]}',
    'with days 0 (Monday) to 6 (Sunday), each with breakfast, lunch and dinner, recipe ids from the recipe catalogue, and no recipe twice in the week.',
  );
  return lines.join('\n');
}

/**
 * THE codec: the dataset builder encodes training rows with it and the replay
 * encodes the policy's request with it, so a row mirrors exactly what the
 * policy is asked at run time (seed §8). Validates first: a malformed context
 * never becomes a row.
 */
export function encodeInputContext(context: InputContext): EncodedInputContext {
  const ctx = validateInputContext(context);
  return { input: canonicalInput(ctx), features: contextFeatures(ctx), prompt: planningPrompt(ctx) };
}

/**
 * A recipe's tokens, sorted and deduplicated: `cuisine=`, `tag=`, `ingredient=`,
 * `allergen=`, `prep=quick|medium|long`, `cost=low|mid|high`, `slot=`. Crossed
 * with the context's features they are what a learned planner scores.
 */
export function recipeTokens(recipe: Recipe): string[] {
  const tokens = [
    `cuisine=${normalizeTerm(recipe.cuisine)}`,
    `prep=${prepBand(recipe.prep_minutes)}`,
    `cost=${costBand(recipe.cost_per_serving)}`,
    ...recipe.diet_tags.map((t) => `tag=${normalizeTerm(t)}`),
    ...recipe.ingredients.map((i) => `ingredient=${normalizeTerm(i)}`),
    ...recipe.allergens.map((a) => `allergen=${normalizeTerm(a)}`),
    ...recipe.meal_slots.map((s) => `slot=${s}`),
  ];
  return [...new Set(tokens)].sort();
}
