import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../src/domain-error.ts';
import { modelVersionUri, parseModelUri } from '../src/model-uri.ts';

test('a registry URI by version or by alias, and the version URI back', () => {
  assert.deepEqual(parseModelUri('models:/planner_model/3'), { name: 'planner_model', version: '3' });
  assert.deepEqual(parseModelUri('models:/planner_model@candidate'), { name: 'planner_model', alias: 'candidate' });
  assert.equal(modelVersionUri('planner_model', '3'), 'models:/planner_model/3');
  assert.deepEqual(parseModelUri(modelVersionUri('planner_model', '12')), { name: 'planner_model', version: '12' });
});

test('a URI of another shape is ID_INVALID', () => {
  for (const uri of ['planner_model/3', 'models:/planner_model/0', 'models:/a/b/3', 'runs:/abc/model']) {
    assert.throws(
      () => parseModelUri(uri),
      (e) => e instanceof DomainError && e.code === 'ID_INVALID',
      uri,
    );
  }
});
