import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { ReplayMetrics, type ReplayProgress } from '../src/replay-metrics.ts';

test('a worker counts its rows and policy calls by role and says it is a worker', async () => {
  const registry = new Registry();
  const metrics = new ReplayMetrics(registry, { worker: true });
  metrics.rowEvaluated('candidate', 0.02);
  metrics.rowEvaluated('candidate', 0.03);
  metrics.rowEvaluated('baseline', 0.001);
  const text = await registry.metrics();
  assert.match(text, /^planner_replay_rows_evaluated_total\{role="candidate"\} 2$/m);
  assert.match(text, /^planner_replay_rows_evaluated_total\{role="baseline"\} 1$/m);
  assert.match(text, /^planner_replay_policy_call_duration_seconds_count\{role="candidate"\} 2$/m);
  assert.match(text, /^planner_replay_worker 1$/m);
  assert.match(await registryOf(false).metrics(), /^planner_replay_worker 0$/m);
});

test('shard progress is read at each scrape, and a replay the source no longer returns leaves the exposition', async () => {
  const registry = new Registry();
  const metrics = new ReplayMetrics(registry, { worker: false });
  let rows: ReplayProgress[] = [{ replay_id: 'replay-a', shards: 8, done: 3 }];
  metrics.trackProgress(async () => rows);
  metrics.trackProgress(async () => {
    throw new Error('a source that fails is left out, not the scrape');
  });
  let text = await registry.metrics();
  assert.match(text, /^planner_replay_shards\{replay_id="replay-a",state="planned"\} 8$/m);
  assert.match(text, /^planner_replay_shards\{replay_id="replay-a",state="done"\} 3$/m);
  rows = [{ replay_id: 'replay-b', shards: 2, done: 2 }];
  text = await registry.metrics();
  assert.doesNotMatch(text, /replay-a/);
  assert.match(text, /^planner_replay_shards\{replay_id="replay-b",state="done"\} 2$/m);
});

function registryOf(worker: boolean): Registry {
  const registry = new Registry();
  new ReplayMetrics(registry, { worker });
  return registry;
}
