import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanEdit } from '@planner/domain';
import { EvaluationError } from '../src/evaluation-error.ts';
import { METRICS, type RowMetricsInput, rowMetrics, tasteSimilarity } from '../src/row-metrics.ts';
import { accepted, constraints, context, plan, policyPlan, recipesById } from './fixtures.ts';

const edits: PlanEdit[] = [
  { day: 0, slot: 'lunch', from_recipe_id: 'pasta', to_recipe_id: 'salad' },
  { day: 1, slot: 'dinner', from_recipe_id: 'oats', to_recipe_id: 'curry' },
];

function input(overrides: Partial<RowMetricsInput> = {}): RowMetricsInput {
  return { context: context(), plan: policyPlan, accepted, actualEdits: edits, recipesById, latencyMs: 120, costUsd: 0.002, ...overrides };
}

const glutenAllergic = context({ constraints: constraints({ allergies: ['gluten'] }) });

test('the worked example: every metric as hand-computed in the RowMetrics doc comment', () => {
  assert.deepEqual(rowMetrics(input({ context: glutenAllergic })), {
    plan_alignment: (3 + 2 / 3) / 5,
    meal_diversity: 3 / 5,
    leftovers_utility: 2 / 3,
    constraint_respect: 0,
    violations: 2,
    predicted_edits: 3,
    actual_edits: 2,
    edit_rate: 3 / 6,
    latency_ms: 120,
    cost_usd: 0.002,
    policy_failed: 0,
  });
});

test('constraint respect: 1 with no violation (the same plan for a household without allergies)', () => {
  const m = rowMetrics(input());
  assert.equal(m.constraint_respect, 1);
  assert.equal(m.violations, 0);
});

test('the policy reproducing the accepted plan: perfect alignment, no edits', () => {
  const m = rowMetrics(input({ plan: accepted }));
  assert.equal(m.plan_alignment, 1);
  assert.equal(m.predicted_edits, 0);
  assert.equal(m.edit_rate, 0);
  // oats, salad, pasta, oats, curry: 4 distinct of 5.
  assert.equal(m.meal_diversity, 4 / 5);
});

test('alignment is per (day, slot): the right recipe on the wrong day counts only for the taste it shares', () => {
  const swapped = plan([['breakfast', 'curry']], [['breakfast', 'oats']]);
  const reference = plan([['breakfast', 'oats']], [['breakfast', 'curry']]);
  const m = rowMetrics(input({ plan: swapped, accepted: reference }));
  // curry (indian) and oats (italian) share cost band and prep band, not cuisine: 2/3 per slot.
  assert.equal(m.plan_alignment, 2 / 3);
  assert.equal(m.predicted_edits, 2);
  assert.equal(m.edit_rate, 1);
});

test('leftovers: 1 when nothing is expiring, even for a plan that uses nothing', () => {
  const fresh = context({ pantry: { household_id: 'hh-000001', taken_at: 0, items: [] } });
  assert.equal(rowMetrics(input({ context: fresh, plan: plan([['breakfast', 'oats']]) })).leftovers_utility, 1);
});

test('leftovers: unknown recipes use nothing; ingredient names are normalised (salad lists "Spinach")', () => {
  assert.equal(rowMetrics(input({ plan: plan([['lunch', 'salad']]) })).leftovers_utility, 1 / 3);
  const unknown = rowMetrics(input({ plan: plan([['lunch', 'mystery']]) }));
  assert.equal(unknown.leftovers_utility, 0);
  assert.equal(unknown.violations, 1);
});

test('diversity: 0 for a plan without meals; such a plan must still add every accepted meal', () => {
  const m = rowMetrics(input({ plan: { days: [] } }));
  assert.equal(m.meal_diversity, 0);
  assert.equal(m.plan_alignment, 0);
  assert.equal(m.predicted_edits, 5);
  assert.equal(m.edit_rate, 1);
  assert.equal(m.constraint_respect, 1);
});

test('a failed row (plan null) scores the worst value of every plan metric', () => {
  assert.deepEqual(rowMetrics(input({ plan: null })), {
    plan_alignment: 0,
    meal_diversity: 0,
    leftovers_utility: 0,
    constraint_respect: 0,
    violations: 1,
    predicted_edits: 5,
    actual_edits: 2,
    edit_rate: 1,
    latency_ms: 120,
    cost_usd: 0.002,
    policy_failed: 1,
  });
});

test('invalid rows are refused with METRIC_INPUT_INVALID, naming the problem', () => {
  const refused = (overrides: Partial<RowMetricsInput>, message: RegExp) =>
    assert.throws(
      () => rowMetrics(input(overrides)),
      (error: unknown) => error instanceof EvaluationError && error.code === 'METRIC_INPUT_INVALID' && message.test(error.message),
    );
  refused({ accepted: { days: [] } }, /accepted plan has no meals/);
  refused({ latencyMs: Number.NaN }, /latencyMs must be a finite number ≥ 0, got NaN/);
  refused({ costUsd: -1 }, /costUsd/);
  refused(
    {
      plan: {
        days: [
          {
            day: 0,
            meals: [
              { slot: 'lunch', recipe_id: 'oats' },
              { slot: 'lunch', recipe_id: 'salad' },
            ],
          },
        ],
      },
    },
    /policy plan has two meals at day 0 lunch/,
  );
});

test('METRICS lists every RowMetrics field once, with its direction', () => {
  const names = METRICS.map((m) => m.name);
  assert.deepEqual([...names].sort(), Object.keys(rowMetrics(input())).sort());
  const lowerIsBetter = METRICS.filter((m) => !m.higherIsBetter).map((m) => m.name);
  assert.deepEqual(lowerIsBetter, [
    'violations',
    'predicted_edits',
    'actual_edits',
    'edit_rate',
    'latency_ms',
    'cost_usd',
    'policy_failed',
  ]);
});

test('taste similarity: same recipe 1, else the share of cuisine, cost band and prep band in common; empty slot 0', () => {
  assert.equal(tasteSimilarity('oats', 'oats', recipesById), 1);
  assert.equal(tasteSimilarity('pasta', 'salad', recipesById), 2 / 3);
  assert.equal(tasteSimilarity('curry', 'pasta', recipesById), 1 / 3);
  assert.equal(tasteSimilarity(undefined, 'oats', recipesById), 0);
});
