import assert from 'node:assert/strict';
import { test } from 'node:test';
import { segmentOf } from '../src/household.ts';
import { validateInputContext } from '../src/input-context.ts';
import { DEFAULT_WORLD_START_MS, generateHousehold, generateHouseholds, householdId } from '../src/synthetic/households.ts';
import { AS_OF } from './fixtures.ts';

const world = generateHouseholds(7, 5000);

test('households are deterministic, and each can be rebuilt alone from (seed, index)', () => {
  assert.deepEqual(generateHouseholds(7, 50), world.slice(0, 50));
  assert.deepEqual(generateHousehold(7, 1234), world[1234]);
  assert.notDeepEqual(generateHouseholds(8, 50), world.slice(0, 50));
  assert.equal(householdId(0), 'hh-000001');
  assert.equal(world[41]?.household.household_id, 'hh-000042');
});

test('households are well-formed: derived segment, sizes 1–6, created before the world starts, valid in a context', () => {
  for (const { household, constraints } of world) {
    assert.equal(household.segment, segmentOf(household.region, household.size));
    assert.ok(household.size >= 1 && household.size <= 6);
    assert.ok(household.created_at < DEFAULT_WORLD_START_MS);
    assert.equal(constraints.household_id, household.household_id);
  }
  const { household, constraints } = world[0] as (typeof world)[number];
  const pantry = { household_id: household.household_id, taken_at: AS_OF, items: [] };
  validateInputContext({ household, pantry, constraints, workflow_type: 'plan_first', mode: null, previous_plan: null, as_of: AS_OF });
});

test('constraint rates: ≈ 20% with an allergy, ≈ 30% with a diet, budgets and prep limits on ≈ 45%', () => {
  const share = (f: (h: (typeof world)[number]) => boolean) => world.filter(f).length / world.length;
  const near = (value: number, target: number) => assert.ok(Math.abs(value - target) < 0.03, `${value} vs ${target}`);
  near(
    share((h) => h.constraints.allergies.length > 0),
    0.2,
  );
  near(
    share((h) => h.constraints.diet !== null),
    0.3,
  );
  near(
    share((h) => h.constraints.weekly_budget_usd !== null),
    0.45,
  );
  near(
    share((h) => h.constraints.max_prep_minutes !== null),
    0.45,
  );
  near(
    share((h) => h.constraints.excluded_ingredients.length > 0),
    0.25,
  );
  assert.equal(new Set(world.map((h) => h.household.segment)).size, 16);
});

test('budgets allow at least 3.2 USD a serving', () => {
  for (const { household, constraints } of world) {
    if (constraints.weekly_budget_usd !== null) assert.ok(constraints.weekly_budget_usd / (household.size * 21) >= 3.15);
  }
});
