import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadStackConfig } from '../src/stack-config.ts';
import { projectTopics } from '../src/topics.ts';

test('every catalogue topic comes with a one-partition dead-letter topic', () => {
  const topics = projectTopics(loadStackConfig({}).root);
  const names = topics.map((t) => t.name);
  for (const spine of ['dataset.ready', 'model.registered', 'replay.completed', 'gate.passed']) {
    assert.ok(names.includes(spine), `${spine} is in the catalogue`);
    assert.deepEqual(
      topics.find((t) => t.name === `${spine}.dlt`),
      { name: `${spine}.dlt`, partitions: 1 },
    );
  }
  assert.equal(names.length, new Set(names).size, 'no topic is listed twice');
  assert.equal(names.filter((n) => n.endsWith('.dlt')).length * 2, names.length);
});
