import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetProfile } from '../src/dataset-profile.ts';
import { datasetSchema, datasetSummary } from '../src/dataset-summary.ts';
import { TRAINING_COLUMNS, type TrainingRow } from '../src/training-columns.ts';

const V9 = 'planner_policy:planner_model:v9';
const V10 = 'planner_policy:planner_model:v10';
const BASELINE = 'heuristic-baseline-v1';

function row(
  household: string,
  split: TrainingRow['split'],
  segment: string,
  at: string,
  served: Pick<TrainingRow, 'policy_version_id' | 'variant_id'> = { policy_version_id: BASELINE, variant_id: 'production' },
): TrainingRow {
  return { household_id: household, split, segment, workflow_type: 'plan_first', occurred_at: new Date(at), ...served } as TrainingRow;
}

const FACTS = {
  datasetVersion: 'planner/2026-11-26',
  windowStart: new Date('2026-11-01T00:00:00Z'),
  windowEnd: new Date('2026-11-26T00:00:00Z'),
  splitSeed: 42,
  codecVersion: 'input-context/1',
  digest: 'abc',
  recipes: 400,
};

test('the profile and summary count rows, splits, segments, households and edits', () => {
  const profile = new DatasetProfile();
  profile.add(row('h1', 'train', 'north-family', '2026-11-02T10:00:00Z'), 2);
  profile.add(row('h1', 'train', 'north-family', '2026-11-09T10:00:00Z'), 0);
  profile.add(row('h2', 'evaluation', 'south-single', '2026-11-01T10:00:00Z'), 1);
  assert.deepEqual(profile.toJSON(), {
    num_rows: 3,
    num_households: 2,
    splits: { train: 2, validation: 0, evaluation: 1 },
    segments: { 'north-family': 2, 'south-single': 1 },
    workflow_types: { plan_first: 3 },
    policy_versions: [{ policy_version_id: BASELINE, variant_id: 'production', rows: 3 }],
    rows_with_edits: 2,
    mean_edits_per_row: 1,
    first_occurred_at: '2026-11-01T10:00:00.000Z',
    last_occurred_at: '2026-11-09T10:00:00.000Z',
  });
  const summary = datasetSummary(FACTS, profile);
  assert.match(summary, /^# Dataset planner\/2026-11-26\n\nRows: 3\nFields: 24\nTasks: Weekly plan generation \(supervised\)\nTargets: /);
  assert.match(summary, /\| train \| 2 \|\n\| validation \| 0 \|\n\| evaluation \| 1 \|/);
  assert.match(summary, /\| north-family \| 2 \|\n\| south-single \| 1 \|/);
  assert.match(summary, /Content digest \(sha256\): abc/);
});

test('rows are counted per generating policy version and variant, sorted by version (v9 before v10) then variant', () => {
  const profile = new DatasetProfile();
  const at = '2026-11-02T10:00:00Z';
  // Treatment households served by v10, one of them by the baseline on a fallback; control by v9; one outside any experiment.
  profile.add(row('h1', 'train', 's', at, { policy_version_id: V10, variant_id: 'treatment' }), 0);
  profile.add(row('h2', 'train', 's', at, { policy_version_id: V9, variant_id: 'control' }), 0);
  profile.add(row('h3', 'train', 's', at, { policy_version_id: BASELINE, variant_id: 'treatment' }), 0);
  profile.add(row('h4', 'train', 's', at, { policy_version_id: V10, variant_id: 'treatment' }), 0);
  profile.add(row('h5', 'train', 's', at, { policy_version_id: V9, variant_id: 'control' }), 0);
  profile.add(row('h6', 'train', 's', at, { policy_version_id: BASELINE, variant_id: 'production' }), 0);
  profile.add(row('h7', 'train', 's', at, { policy_version_id: V10, variant_id: 'treatment' }), 0);
  assert.deepEqual(profile.toJSON().policy_versions, [
    { policy_version_id: BASELINE, variant_id: 'production', rows: 1 },
    { policy_version_id: BASELINE, variant_id: 'treatment', rows: 1 },
    { policy_version_id: V9, variant_id: 'control', rows: 2 },
    { policy_version_id: V10, variant_id: 'treatment', rows: 3 },
  ]);
  const summary = datasetSummary(FACTS, profile);
  assert.ok(
    summary.endsWith(
      [
        '## Rows per policy version and variant',
        '| policy version | variant | rows |',
        '|---|---|---|',
        '| heuristic-baseline-v1 | production | 1 |',
        '| heuristic-baseline-v1 | treatment | 1 |',
        '| planner_policy:planner_model:v9 | control | 2 |',
        '| planner_policy:planner_model:v10 | treatment | 3 |',
        '',
      ].join('\n'),
    ),
    summary,
  );
});

test('the profile as MLflow receives it carries the rows per policy version and variant', () => {
  const profile = new DatasetProfile();
  profile.add(row('h1', 'train', 's', '2026-11-02T10:00:00Z', { policy_version_id: V9, variant_id: 'control' }), 0);
  assert.deepEqual(JSON.parse(JSON.stringify(profile)).policy_versions, [{ policy_version_id: V9, variant_id: 'control', rows: 1 }]);
});

test('schema.json lists every column with its type and role', () => {
  const schema = datasetSchema('planner/2026-11-26', 'input-context/1');
  assert.equal(schema.field_count, TRAINING_COLUMNS.length);
  assert.deepEqual(
    schema.fields.find((f) => f.name === 'accepted_plan_json'),
    {
      name: 'accepted_plan_json',
      type: 'string',
      nullable: false,
      role: 'target',
      description: 'Target: the weekly plan the user accepted (JSON).',
    },
  );
  assert.equal(schema.fields.filter((f) => f.role === 'target').length, 3);
});
