import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlanAnswer } from '../src/plan-answer.ts';
import { isPolicyError } from '../src/policy-error.ts';

const ids = new Set(['r-1', 'r-2', 'r-3']);
const day = (d: number) => ({
  day: d,
  meals: [
    { slot: 'lunch', recipe_id: 'r-2' },
    { slot: 'breakfast', recipe_id: 'r-1' },
    { slot: 'dinner', recipe_id: 'r-3' },
  ],
});
const week = (days: unknown[] = [6, 5, 4, 3, 2, 1, 0].map(day)) => JSON.stringify({ days });

test('a complete week comes back normalised: days by number, meals in slot order; extra keys are ignored', () => {
  const plan = parsePlanAnswer(`  ${week()}\n`, ids);
  assert.deepEqual(
    plan.days.map((d) => d.day),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(plan.days[0]?.meals, [
    { slot: 'breakfast', recipe_id: 'r-1' },
    { slot: 'lunch', recipe_id: 'r-2' },
    { slot: 'dinner', recipe_id: 'r-3' },
  ]);
  assert.deepEqual(parsePlanAnswer(JSON.stringify({ note: 'enjoy', days: JSON.parse(week()).days }), ids), plan);
});

test('each way an answer can be unusable is POLICY_OUTPUT_INVALID with its reason', () => {
  const twice = [0, 1, 2, 3, 4, 5, 6].map(day);
  twice[2] = day(1);
  const lacking = [0, 1, 2, 3, 4, 5, 6].map(day);
  lacking[4] = { day: 4, meals: lacking[4]?.meals.slice(0, 2) ?? [] };
  const cases: [string, RegExp][] = [
    ['', /not JSON/],
    ['[1,2]', /expected \{"days"/],
    [week(twice), /day 1 appears twice/],
    [week(lacking), /day 4 lacks dinner/],
    [week([...[0, 1, 2, 3, 4, 5].map(day), { day: 7, meals: [] }]), /days\[6\]\.day must be an integer from 0 to 6, got 7/],
    [
      week([...[0, 1, 2, 3, 4, 5].map(day), { day: 6, meals: [...day(6).meals, { slot: 'lunch', recipe_id: 'r-1' }] }]),
      /day 6 has lunch twice/,
    ],
    [
      week([...[0, 1, 2, 3, 4, 5].map(day), { day: 6, meals: [{ slot: 'breakfast', recipe_id: 7 }] }]),
      /recipe_id must be a non-empty string/,
    ],
  ];
  for (const [content, reason] of cases) {
    assert.throws(
      () => parsePlanAnswer(content, ids),
      (e) => isPolicyError(e, 'POLICY_OUTPUT_INVALID') && reason.test(e.message),
      String(reason),
    );
  }
});
