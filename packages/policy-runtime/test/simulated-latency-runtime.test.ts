import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateCatalogue } from '@planner/domain';
import { HeuristicRuntime } from '../src/heuristic-runtime.ts';
import { isPolicyError } from '../src/policy-error.ts';
import { runPolicy } from '../src/policy-runtime.ts';
import { SimulatedLatencyRuntime } from '../src/simulated-latency-runtime.ts';
import { context } from './fixtures.ts';

const inner = new HeuristicRuntime(generateCatalogue(3, 60));

test('every call takes at least the given milliseconds, and plans what the wrapped runtime plans', async () => {
  const slow = new SimulatedLatencyRuntime(inner, 40);
  assert.equal(slow.kind, 'heuristic');
  assert.equal(slow.id, inner.id);
  for (let i = 0; i < 5; i++) {
    const output = await runPolicy(slow, context());
    assert.ok(output.latency_ms >= 40, `latency ${output.latency_ms}`);
    assert.deepEqual(output.plan, await inner.plan(context()));
  }
});

test('the wait does not block: concurrent calls overlap', async () => {
  const slow = new SimulatedLatencyRuntime(inner, 100);
  const started = performance.now();
  await Promise.all(Array.from({ length: 10 }, () => slow.plan(context())));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 100 && elapsed < 600, `10 concurrent calls took ${elapsed} ms`);
});

test('a negative delay is refused', () => {
  assert.throws(
    () => new SimulatedLatencyRuntime(inner, -1),
    (e) => isPolicyError(e, 'POLICY_SPEC_INVALID'),
  );
});
