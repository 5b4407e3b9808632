import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetVersionOf, parseDatasetVersion } from '../src/dataset-version.ts';
import { DomainError } from '../src/domain-error.ts';

test('a dataset version is <model>/<date>, and parses back into its parts', () => {
  assert.equal(datasetVersionOf('planner', '2026-03-01'), 'planner/2026-03-01');
  assert.deepEqual(parseDatasetVersion('planner_model-x/2026-03-01'), { modelName: 'planner_model-x', datasetDate: '2026-03-01' });
});

test('parts that would not parse back, and ids of another shape, are ID_INVALID', () => {
  const invalid = (e: unknown) => e instanceof DomainError && e.code === 'ID_INVALID';
  assert.throws(() => datasetVersionOf('', '2026-03-01'), invalid);
  assert.throws(() => datasetVersionOf('a/b', '2026-03-01'), invalid);
  assert.throws(() => datasetVersionOf('planner', '2026-3-1'), invalid);
  for (const id of ['planner', 'planner/2026-03-01/x', '/2026-03-01', 'planner/March'])
    assert.throws(() => parseDatasetVersion(id), invalid, id);
});
