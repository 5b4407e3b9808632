import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InputContext, WeeklyPlan } from '@planner/domain';
import { PolicyError } from '../src/policy-error.ts';
import { type PolicyRuntime, type PolicyUsage, runPolicy } from '../src/policy-runtime.ts';
import { context } from './fixtures.ts';

const PLAN: WeeklyPlan = { days: [{ day: 0, meals: [{ slot: 'breakfast', recipe_id: 'r-a' }] }] };

/** A runtime that spends `cost`, waits `waitMs`, then answers `outcome` (a plan, or an error to throw). */
function runtime(outcome: WeeklyPlan | Error, cost = 0, waitMs = 0): PolicyRuntime {
  return {
    kind: 'openai-compatible',
    id: 'stub',
    async plan(_context: InputContext, usage?: PolicyUsage) {
      if (usage) usage.cost_usd += cost;
      await sleep(waitMs);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

test('a plan comes back with its latency and what the call cost', async () => {
  const output = await runPolicy(runtime(PLAN, 0.0025, 20), context());
  assert.deepEqual(output.plan, PLAN);
  assert.equal(output.cost_usd, 0.0025);
  assert.equal(output.error, null);
  assert.ok(output.latency_ms >= 19, `latency ${output.latency_ms}`);
});

test('an unusable answer is a failed row: plan null, the reason, and the tokens it still cost', async () => {
  const output = await runPolicy(runtime(new PolicyError('POLICY_OUTPUT_INVALID', 'not JSON: "hello"'), 0.001), context());
  assert.equal(output.plan, null);
  assert.equal(output.error, 'not JSON: "hello"');
  assert.equal(output.cost_usd, 0.001);
  assert.ok(output.latency_ms >= 0);
});

test('infrastructure errors propagate for the caller to retry, whatever their type', async () => {
  for (const error of [
    new PolicyError('POLICY_UNREACHABLE', 'connection refused'),
    new PolicyError('POLICY_MODEL_NOT_FOUND', 'no version 9'),
    new TypeError('a bug'),
  ]) {
    await assert.rejects(runPolicy(runtime(error), context()), error);
  }
});
