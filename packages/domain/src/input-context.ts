import type { MealSlot, PlanMode, WeeklyPlan, WorkflowType } from '@planner/schemas';
import type { Constraints } from './constraints.ts';
import { DomainError } from './domain-error.ts';
import { type Household, MAX_HOUSEHOLD_SIZE, MIN_HOUSEHOLD_SIZE, REGIONS, type Region, segmentOf } from './household.ts';
import type { PantryItem, PantrySnapshot } from './pantry.ts';
import { DAYS_PER_WEEK, MEAL_SLOTS } from './weekly-plan.ts';

/** What a policy is asked at planning time, and what a training row's input is (seed §2.2). */
export interface InputContext {
  household: Household;
  /** The latest snapshot taken at or before `as_of`; a household without one has an empty `items` list. */
  pantry: PantrySnapshot;
  constraints: Constraints;
  workflow_type: WorkflowType;
  mode: null | PlanMode;
  /** The household's most recent accepted plan before `as_of`, if any. */
  previous_plan: null | WeeklyPlan;
  /** The planning instant (the plan_generated event's occurred_at), UTC milliseconds; "expiring" is relative to it. */
  as_of: number;
}

export const WORKFLOW_TYPES: readonly WorkflowType[] = ['plan_first', 'meal_first', 'pantry_first'];
export const PLAN_MODES: readonly PlanMode[] = ['autopilot', 'exploratory', 'constrained'];

function invalid(message: string): never {
  throw new DomainError('INPUT_CONTEXT_INVALID', message);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function expect(path: string, what: string, value: unknown): never {
  return invalid(`${path} must be ${what}, got ${describe(value)}`);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) expect(path, 'an object', value);
  return value as Record<string, unknown>;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') expect(path, 'a non-empty string', value);
  return value as string;
}

function finite(value: unknown, path: string, min: number, what = `a number ≥ ${min}`): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) expect(path, what, value);
  return value as number;
}

function instant(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    expect(path, 'UTC milliseconds (a non-negative integer)', value);
  return value as number;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) expect(path, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function list<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) expect(path, 'an array', value);
  return (value as unknown[]).map((element, index) => item(element, `${path}[${index}]`));
}

function nullable<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): null | T {
  return value === null ? null : item(value, path);
}

function sameHousehold(value: unknown, path: string, householdId: string): string {
  const id = text(value, path);
  if (id !== householdId) invalid(`${path} must equal household.household_id '${householdId}', got ${describe(id)}`);
  return id;
}

function household(value: unknown, path: string): Household {
  const v = record(value, path);
  const region: Region = oneOf(v.region, `${path}.region`, REGIONS);
  const size = v.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < MIN_HOUSEHOLD_SIZE || size > MAX_HOUSEHOLD_SIZE) {
    expect(`${path}.size`, `an integer from ${MIN_HOUSEHOLD_SIZE} to ${MAX_HOUSEHOLD_SIZE}`, size);
  }
  // The segment is derived; a stored one that disagrees means the row was built from stale or mixed data.
  const segment = text(v.segment, `${path}.segment`);
  const expected = segmentOf(region, size as number);
  if (segment !== expected) invalid(`${path}.segment must be '${expected}' (region and size band), got ${describe(segment)}`);
  return {
    household_id: text(v.household_id, `${path}.household_id`),
    region,
    size: size as number,
    segment,
    created_at: instant(v.created_at, `${path}.created_at`),
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar day in YYYY-MM-DD. Arithmetic, not a Date round trip: a dataset build checks millions of these. */
function isIsoDate(date: string): boolean {
  if (!ISO_DATE.test(date)) return false;
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

function isoDate(value: unknown, path: string): string {
  const date = text(value, path);
  if (!isIsoDate(date)) expect(path, 'an ISO date (YYYY-MM-DD)', value);
  return date;
}

function pantryItem(value: unknown, path: string): PantryItem {
  const v = record(value, path);
  return {
    ingredient: text(v.ingredient, `${path}.ingredient`),
    quantity: finite(v.quantity, `${path}.quantity`, 0),
    unit: text(v.unit, `${path}.unit`),
    expires_on: isoDate(v.expires_on, `${path}.expires_on`),
  };
}

function pantry(value: unknown, path: string, householdId: string): PantrySnapshot {
  const v = record(value, path);
  return {
    household_id: sameHousehold(v.household_id, `${path}.household_id`, householdId),
    taken_at: instant(v.taken_at, `${path}.taken_at`),
    items: list(v.items, `${path}.items`, pantryItem),
  };
}

function constraints(value: unknown, path: string, householdId: string): Constraints {
  const v = record(value, path);
  return {
    household_id: sameHousehold(v.household_id, `${path}.household_id`, householdId),
    allergies: list(v.allergies, `${path}.allergies`, text),
    diet: nullable(v.diet, `${path}.diet`, text),
    weekly_budget_usd: nullable(v.weekly_budget_usd, `${path}.weekly_budget_usd`, (x, p) => finite(x, p, 0)),
    max_prep_minutes: nullable(v.max_prep_minutes, `${path}.max_prep_minutes`, (x, p) => finite(x, p, 1)),
    excluded_ingredients: list(v.excluded_ingredients, `${path}.excluded_ingredients`, text),
  };
}

function weeklyPlan(value: unknown, path: string): WeeklyPlan {
  const v = record(value, path);
  const days = new Set<number>();
  return {
    days: list(v.days, `${path}.days`, (dayValue, dayPath) => {
      const d = record(dayValue, dayPath);
      const day = d.day;
      if (typeof day !== 'number' || !Number.isInteger(day) || day < 0 || day >= DAYS_PER_WEEK) {
        expect(`${dayPath}.day`, `an integer from 0 to ${DAYS_PER_WEEK - 1}`, day);
      }
      if (days.has(day as number)) invalid(`${dayPath}.day ${day} appears twice in ${path}.days`);
      days.add(day as number);
      const slots = new Set<MealSlot>();
      return {
        day: day as number,
        meals: list(d.meals, `${dayPath}.meals`, (mealValue, mealPath) => {
          const m = record(mealValue, mealPath);
          const slot = oneOf(m.slot, `${mealPath}.slot`, MEAL_SLOTS);
          if (slots.has(slot)) invalid(`${mealPath}.slot '${slot}' appears twice on day ${day}`);
          slots.add(slot);
          return { slot, recipe_id: text(m.recipe_id, `${mealPath}.recipe_id`) };
        }),
      };
    }),
  };
}

/**
 * Checks an input context read from anywhere (a database join, JSON, an HTTP
 * body) and returns a fresh copy holding only the known fields. Throws
 * DomainError INPUT_CONTEXT_INVALID naming the first offending field path,
 * e.g. `constraints.allergies[2] must be a non-empty string, got 42`.
 */
export function validateInputContext(value: unknown): InputContext {
  const v = record(value, 'input context');
  const h = household(v.household, 'household');
  const context: InputContext = {
    household: h,
    pantry: pantry(v.pantry, 'pantry', h.household_id),
    constraints: constraints(v.constraints, 'constraints', h.household_id),
    workflow_type: oneOf(v.workflow_type, 'workflow_type', WORKFLOW_TYPES),
    mode: nullable(v.mode, 'mode', (x, p) => oneOf(x, p, PLAN_MODES)),
    previous_plan: nullable(v.previous_plan, 'previous_plan', weeklyPlan),
    as_of: instant(v.as_of, 'as_of'),
  };
  // A snapshot from after the planning instant would leak the future into a training row.
  if (context.pantry.taken_at > context.as_of) {
    invalid(`pantry.taken_at must not be after as_of (${context.as_of}), got ${context.pantry.taken_at}`);
  }
  return context;
}
