import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatasetProfile } from '../src/dataset-profile.ts';
import { datasetSchema, datasetSummary } from '../src/dataset-summary.ts';
import { TRAINING_COLUMNS, type TrainingRow } from '../src/training-columns.ts';

function row(household: string, split: TrainingRow['split'], segment: string, at: string): TrainingRow {
  return { household_id: household, split, segment, workflow_type: 'plan_first', occurred_at: new Date(at) } as TrainingRow;
}

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
    rows_with_edits: 2,
    mean_edits_per_row: 1,
    first_occurred_at: '2026-11-01T10:00:00.000Z',
    last_occurred_at: '2026-11-09T10:00:00.000Z',
  });
  const summary = datasetSummary(
    {
      datasetVersion: 'planner/2026-11-26',
      windowStart: new Date('2026-11-01T00:00:00Z'),
      windowEnd: new Date('2026-11-26T00:00:00Z'),
      splitSeed: 42,
      codecVersion: 'input-context/1',
      digest: 'abc',
      recipes: 400,
    },
    profile,
  );
  assert.match(summary, /^# Dataset planner\/2026-11-26\n\nRows: 3\nFields: 24\nTasks: Weekly plan generation \(supervised\)\nTargets: /);
  assert.match(summary, /\| train \| 2 \|\n\| validation \| 0 \|\n\| evaluation \| 1 \|/);
  assert.match(summary, /\| north-family \| 2 \|\n\| south-single \| 1 \|/);
  assert.match(summary, /Content digest \(sha256\): abc/);
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
