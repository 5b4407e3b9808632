import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BASELINE_POLICY_VERSION,
  baselinePlan,
  checkPlan,
  generateCatalogue,
  generateHouseholds,
  type InputContext,
  indexRecipes,
  PLAN_MODES,
  pantrySnapshot,
  SeededRandom,
  WORKFLOW_TYPES,
} from '@planner/domain';
import { HeuristicRuntime } from '../src/heuristic-runtime.ts';
import { runPolicy } from '../src/policy-runtime.ts';
import { AS_OF } from './fixtures.ts';

const catalogue = generateCatalogue(11);
const byId = indexRecipes(catalogue);
const runtime = new HeuristicRuntime(catalogue);

/** Contexts for a generated world: real constraint mixes (allergies, diets, budgets, prep limits, exclusions) and pantries. */
function worldContexts(count: number): InputContext[] {
  const rng = new SeededRandom(5);
  return generateHouseholds(11, count, AS_OF).map(({ household, constraints }, i) => ({
    household,
    pantry: pantrySnapshot(household, AS_OF, rng, constraints),
    constraints,
    workflow_type: WORKFLOW_TYPES[i % WORKFLOW_TYPES.length] as InputContext['workflow_type'],
    mode: PLAN_MODES[i % PLAN_MODES.length] as InputContext['mode'],
    previous_plan: null,
    as_of: AS_OF,
  }));
}

test('it is the baseline: same id, the same plan as baselinePlan, at no cost', async () => {
  const [ctx] = worldContexts(1) as [InputContext];
  assert.equal(runtime.kind, 'heuristic');
  assert.equal(runtime.id, BASELINE_POLICY_VERSION);
  const output = await runPolicy(runtime, ctx);
  assert.deepEqual(output.plan, baselinePlan(ctx, catalogue));
  assert.equal(output.cost_usd, 0);
  assert.equal(output.error, null);
});

test('deterministic: the same context gives the same plan, call after call and runtime after runtime', async () => {
  const contexts = worldContexts(20);
  const first = await Promise.all(contexts.map((ctx) => runtime.plan(ctx)));
  const again = await Promise.all(contexts.map((ctx) => new HeuristicRuntime(catalogue).plan(structuredClone(ctx))));
  assert.deepEqual(again, first);
});

test('never violates a household constraint over a generated world of 500 households', async () => {
  let constrained = 0;
  for (const ctx of worldContexts(500)) {
    const c = ctx.constraints;
    if (c.allergies.length > 0 || c.diet !== null || c.weekly_budget_usd !== null || c.max_prep_minutes !== null) constrained++;
    const plan = await runtime.plan(ctx);
    assert.deepEqual(checkPlan(plan, byId, ctx.constraints, ctx.household.size), [], ctx.household.household_id);
  }
  assert.ok(constrained > 250, `the world should be mostly constrained households, got ${constrained}`);
});
