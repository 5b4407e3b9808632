import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../src/domain-error.ts';
import { validateInputContext } from '../src/input-context.ts';
import { AS_OF, context, plan } from './fixtures.ts';

/** A JSON copy with one field replaced: what a bad database row or HTTP body looks like. */
function broken(path: (string | number)[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(context({ previous_plan: plan([['breakfast', 'r-1']]) })));
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key];
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

function rejects(value: unknown, message: RegExp): void {
  assert.throws(
    () => validateInputContext(value),
    (error: unknown) => {
      assert.ok(error instanceof DomainError);
      assert.equal(error.code, 'INPUT_CONTEXT_INVALID');
      assert.match(error.message, message);
      return true;
    },
  );
}

test('a well-formed context comes back equal, as a fresh copy without unknown fields', () => {
  const ctx = context();
  const extra = { ...ctx, household: { ...ctx.household, nickname: 'x' }, unknown: 1 };
  const valid = validateInputContext(extra);
  assert.deepEqual(valid, ctx);
  assert.notEqual(valid.household, ctx.household);
});

test('errors name the offending field path', () => {
  rejects(broken(['constraints', 'allergies'], ['peanut', 'egg', 42]), /^constraints\.allergies\[2\] must be a non-empty string, got 42$/);
  rejects(broken(['household', 'region'], 'middle'), /^household\.region must be one of north, south, east, west, got "middle"$/);
  rejects(broken(['household', 'size'], 7), /^household\.size must be an integer from 1 to 6, got 7$/);
  rejects(broken(['household', 'segment'], 'north-large'), /^household\.segment must be 'north-family'/);
  rejects(
    broken(['pantry', 'items'], [{ ingredient: 'rice', quantity: 1, unit: 'g', expires_on: '2026-02-30' }]),
    /^pantry\.items\[0\]\.expires_on must be an ISO date/,
  );
  rejects(
    broken(['pantry', 'items'], [{ ingredient: 'rice', quantity: -1, unit: 'g', expires_on: '2026-02-01' }]),
    /^pantry\.items\[0\]\.quantity must be a number ≥ 0, got -1$/,
  );
  rejects(broken(['pantry', 'household_id'], 'hh-2'), /^pantry\.household_id must equal household\.household_id 'hh-000001'/);
  rejects(broken(['constraints', 'diet'], 3), /^constraints\.diet must be a non-empty string, got 3$/);
  rejects(broken(['constraints', 'weekly_budget_usd'], '120'), /^constraints\.weekly_budget_usd must be a number ≥ 0, got "120"$/);
  rejects(broken(['constraints', 'excluded_ingredients'], undefined), /^constraints\.excluded_ingredients must be an array, got nothing$/);
  rejects(broken(['workflow_type'], 'plan-first'), /^workflow_type must be one of plan_first, meal_first, pantry_first/);
  rejects(broken(['mode'], 'manual'), /^mode must be one of autopilot, exploratory, constrained/);
  rejects(broken(['previous_plan', 'days', 0, 'meals', 0, 'slot'], 'brunch'), /^previous_plan\.days\[0\]\.meals\[0\]\.slot must be one of/);
  rejects(broken(['previous_plan', 'days', 0, 'day'], 7), /^previous_plan\.days\[0\]\.day must be an integer from 0 to 6/);
  rejects(broken(['as_of'], AS_OF + 0.5), /^as_of must be UTC milliseconds/);
  rejects(null, /^input context must be an object, got null$/);
  rejects(broken(['pantry', 'taken_at'], AS_OF + 1), /^pantry\.taken_at must not be after as_of/);
});

test('a pantry expiry must be a real calendar day: months, month lengths and leap years', () => {
  const withExpiry = (expires_on: string) => broken(['pantry', 'items'], [{ ingredient: 'rice', quantity: 1, unit: 'g', expires_on }]);
  for (const day of ['2024-02-29', '2000-02-29', '2026-12-31', '2026-04-30', '0000-01-01']) {
    assert.equal(validateInputContext(withExpiry(day)).pantry.items[0]?.expires_on, day);
  }
  for (const day of ['2023-02-29', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-1-01', ' 2026-01-01']) {
    rejects(withExpiry(day), /^pantry\.items\[0\]\.expires_on must be an ISO date \(YYYY-MM-DD\)/);
  }
});

test('a slot or a day listed twice in the previous plan is refused', () => {
  const twice = context({
    previous_plan: {
      days: [
        {
          day: 0,
          meals: [
            { slot: 'lunch', recipe_id: 'a' },
            { slot: 'lunch', recipe_id: 'b' },
          ],
        },
      ],
    },
  });
  rejects(twice, /^previous_plan\.days\[0\]\.meals\[1\]\.slot 'lunch' appears twice on day 0$/);
  rejects(
    context({
      previous_plan: {
        days: [
          { day: 1, meals: [] },
          { day: 1, meals: [] },
        ],
      },
    }),
    /previous_plan\.days\[1\]\.day 1 appears twice/,
  );
});

test('null is accepted exactly where the schema allows it', () => {
  const valid = validateInputContext(context({ mode: null, previous_plan: null }));
  assert.equal(valid.mode, null);
  assert.equal(valid.previous_plan, null);
});
