import type { Constraints } from '../constraints.ts';
import type { Household } from '../household.ts';
import type { PantryItem, PantrySnapshot } from '../pantry.ts';
import { INGREDIENTS, QUANTITY_RANGE } from './catalogue-data.ts';
import type { SeededRandom } from './seeded-random.ts';

const DAY_MS = 86_400_000;
const POOL = Object.keys(INGREDIENTS).sort();

const isoDates = new Map<number, string>();

/** YYYY-MM-DD of a day number (days since the epoch), memoised: formatting dates dominated pantry generation. */
function isoDate(day: number): string {
  let text = isoDates.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (isoDates.size >= 10_000) isoDates.clear();
    isoDates.set(day, text);
  }
  return text;
}

/** Share of fresh items already past their date: pantries hold some waste, and the codec must ignore it. */
const EXPIRED_FRESH_SHARE = 0.08;

function expiryInDays(shelf: 'fresh' | 'chilled' | 'staple', rng: SeededRandom): number {
  if (shelf === 'fresh') return rng.chance(EXPIRED_FRESH_SHARE) ? -rng.int(1, 3) : rng.int(0, 8);
  if (shelf === 'chilled') return rng.int(2, 21);
  return rng.int(30, 365);
}

/**
 * What is in the household's kitchen at `at`: 4–8 items plus one per person,
 * never anything the household is allergic to or excludes (when `constraints`
 * is given). Fresh food expires within 0–8 days (so about 40% of it is
 * "expiring" in the codec's sense), chilled within 2–21, staples within a year.
 */
export function pantrySnapshot(household: Household, at: number, rng: SeededRandom, constraints?: Constraints): PantrySnapshot {
  const avoid = new Set(constraints?.excluded_ingredients ?? []);
  const allergies = new Set(constraints?.allergies ?? []);
  const pool =
    avoid.size === 0 && allergies.size === 0
      ? POOL
      : POOL.filter((name) => !avoid.has(name) && !(INGREDIENTS[name]?.allergens ?? []).some((a) => allergies.has(a)));
  const today = Math.floor(at / DAY_MS);
  const items: PantryItem[] = rng.sample(pool, rng.int(4, 8) + household.size).map((name) => {
    const facts = INGREDIENTS[name];
    if (facts === undefined) throw new Error(`unknown pantry ingredient '${name}'`);
    const [min, max, step] = QUANTITY_RANGE[facts.unit];
    return {
      ingredient: name,
      quantity: rng.int(min / step, max / step) * step,
      unit: facts.unit,
      expires_on: isoDate(today + expiryInDays(facts.shelf, rng)),
    };
  });
  items.sort((a, b) => (a.ingredient < b.ingredient ? -1 : a.ingredient > b.ingredient ? 1 : 0));
  return { household_id: household.household_id, taken_at: at, items };
}
