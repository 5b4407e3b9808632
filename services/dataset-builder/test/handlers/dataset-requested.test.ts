import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestProblems } from '../../src/handlers/dataset-requested.ts';

test('a request names every problem it has', () => {
  assert.deepEqual(requestProblems({ model_name: 'planner', dataset_date: '2026-11-26', window_start: 1, window_end: 2 }), []);
  assert.deepEqual(requestProblems({ model_name: 'Planner!', dataset_date: '26/11/2026', window_start: 5, window_end: 5 }), [
    "model_name 'Planner!' must match ^[a-z][a-z0-9_-]{0,62}$",
    "dataset_date '26/11/2026' must be a date YYYY-MM-DD",
    'window_start must be before window_end',
  ]);
});
