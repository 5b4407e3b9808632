import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelRefOf } from '../src/model-ref.ts';
import { isPolicyError } from '../src/policy-error.ts';

test('models:/<name>/<version> and models:/<name>@<alias>', () => {
  assert.deepEqual(modelRefOf('models:/planner_model/3'), { name: 'planner_model', version: '3' });
  assert.deepEqual(modelRefOf('models:/planner_model@production'), { name: 'planner_model', alias: 'production' });
});

test('anything else is POLICY_SPEC_INVALID', () => {
  for (const uri of [
    'planner_model/3',
    'models:/planner_model',
    'models:/planner_model/0',
    'models:/planner_model/latest',
    'runs:/abc/model',
    'models:/a/b/3',
  ]) {
    assert.throws(
      () => modelRefOf(uri),
      (e) => isPolicyError(e, 'POLICY_SPEC_INVALID'),
      uri,
    );
  }
});
