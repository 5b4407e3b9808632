import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WeeklyPlan } from '@planner/schemas';
import { baselinePlan } from '../src/baseline-plan.ts';
import { indexRecipes, isRecipeAllowed } from '../src/constraint-checker.ts';
import { generateCatalogue } from '../src/synthetic/catalogue.ts';
import { hiddenPreferenceScore } from '../src/synthetic/hidden-preferences.ts';
import { generateHouseholds } from '../src/synthetic/households.ts';
import { SeededRandom } from '../src/synthetic/seeded-random.ts';
import { CatalogueView, simulateUser } from '../src/synthetic/user-simulation.ts';
import { context } from './fixtures.ts';

const catalogue = generateCatalogue(7);
const byId = indexRecipes(catalogue);
const view = new CatalogueView(catalogue);
const households = generateHouseholds(21, 600);

function applyEdits(
  plan: WeeklyPlan,
  edits: { day: number; slot: string; from_recipe_id: null | string; to_recipe_id: null | string }[],
): WeeklyPlan {
  const copy: WeeklyPlan = structuredClone(plan);
  for (const edit of edits) {
    const meal = copy.days.find((d) => d.day === edit.day)?.meals.find((m) => m.slot === edit.slot);
    assert.equal(meal?.recipe_id, edit.from_recipe_id, 'an edit starts from what the plan holds');
    if (meal !== undefined) meal.recipe_id = edit.to_recipe_id as string;
  }
  return copy;
}

test('the view’s scores are hiddenPreferenceScore, number for number', () => {
  for (const { household } of households.slice(0, 20)) {
    const scores = view.scoresFor(household);
    catalogue.forEach((r, i) => {
      assert.equal(scores[i], hiddenPreferenceScore(household, r));
    });
  }
});

test('users swap meals for safe ones they like better; the final plan is the generated one with the edits applied', () => {
  let edits = 0;
  let blocked = 0;
  for (const { household, constraints } of households) {
    const plan = baselinePlan(context({ household, constraints }), catalogue);
    const outcome = simulateUser({
      view,
      household,
      constraints,
      mode: 'exploratory',
      plan,
      rejectRate: 0,
      rng: SeededRandom.derive(1, household.household_id),
    });
    assert.equal(outcome.accepted, true);
    assert.deepEqual(outcome.finalPlan, applyEdits(plan, outcome.edits));
    assert.deepEqual(
      outcome.steps.filter((s) => s.kind === 'plan_edited').map((s) => s.edit),
      outcome.edits,
    );
    for (const edit of outcome.edits) {
      const from = byId.get(edit.from_recipe_id as string);
      const to = byId.get(edit.to_recipe_id as string);
      assert.ok(from !== undefined && to !== undefined);
      assert.ok(isRecipeAllowed(to, constraints));
      assert.ok(to.meal_slots.includes(edit.slot));
      assert.ok(hiddenPreferenceScore(household, to) > hiddenPreferenceScore(household, from));
    }
    for (const step of outcome.steps.filter((s) => s.kind === 'validator_intervened')) {
      assert.equal(isRecipeAllowed(byId.get(step.edit.to_recipe_id as string) as (typeof catalogue)[number], constraints), false);
      blocked++;
    }
    edits += outcome.edits.length;
  }
  assert.ok(edits / households.length > 1, `${edits / households.length} edits per plan`);
  assert.ok(blocked > 0);
});

test('autopilot users edit less than exploratory ones; a reject rate of 1 rejects every plan', () => {
  const count = (mode: 'autopilot' | 'exploratory', rejectRate = 0) =>
    households.slice(0, 300).reduce((sum, { household, constraints }) => {
      const plan = baselinePlan(context({ household, constraints }), catalogue);
      const outcome = simulateUser({
        view,
        household,
        constraints,
        mode,
        plan,
        rejectRate,
        rng: SeededRandom.derive(2, household.household_id),
      });
      if (rejectRate === 1) assert.equal(outcome.accepted, false);
      return sum + outcome.edits.length;
    }, 0);
  assert.ok(count('autopilot') < count('exploratory'));
  count('autopilot', 1);
});
