import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type ActivePolicy, controlBuckets, exposureEventId, treatmentBuckets } from '@planner/assignment';
import { checkPlan, generateCatalogue, generateHousehold, indexRecipes, pantrySnapshot, SeededRandom } from '@planner/domain';
import { PlanServer, type PlanSession } from '../src/plan-server.ts';
import { PolicyRuntimes } from '../src/policy-runtimes.ts';
import { TrafficStats } from '../src/traffic-stats.ts';

const catalogue = generateCatalogue(7);
const production = { policy_version_id: 'heuristic-baseline-v1', model_uri: null, runtime: { kind: 'heuristic' } };
let silent: Server;
let silentUrl: string;

before(async () => {
  // An LLM server that accepts the request and never answers.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
});
after(() => {
  silent.closeAllConnections();
  silent.close();
});

/** Everyone in the treatment (allocation 1), served by `treatment`. */
function allTreatment(treatment: Record<string, unknown>): ActivePolicy {
  return {
    policy_id: 'planner',
    production,
    experiment: {
      experiment_id: 'experiment-t',
      salt: 'experiment-t',
      hash_version: 1,
      variants: [
        { variant_id: 't-control', role: 'control', buckets: controlBuckets(1), ...production },
        {
          variant_id: 't-treatment',
          role: 'treatment',
          buckets: treatmentBuckets(1),
          policy_version_id: 'candidate-v2',
          model_uri: null,
          runtime: treatment,
        },
      ],
    },
  };
}

function session(index: number, week = 0): PlanSession {
  const { household, constraints } = generateHousehold(7, index);
  const at = Date.UTC(2026, 10, 30, 12) + week * 7 * 86_400_000;
  return {
    household,
    constraints,
    pantry: pantrySnapshot(household, at - 1000, SeededRandom.derive(7, 'pantry', index, week), constraints),
    workflow: 'plan_first',
    mode: 'autopilot',
    previousPlan: null,
    at,
    rng: SeededRandom.derive(7, 'session', index, week),
  };
}

function server(policyTimeoutMs = 2000) {
  return new PlanServer({ catalogue, runtimes: new PolicyRuntimes(catalogue), policyTimeoutMs, usdPerComputeHour: 0.72, producer: 'test' });
}

test('a served request: exposure first, then the plan, the validator, the user, each event with experiment, variant and policy version', async () => {
  const served = await server().serve(session(3), allTreatment({ kind: 'heuristic' }));
  assert.equal(served.failed, false);
  assert.equal(served.fallbackReason, null);
  const types = served.events.map((e) => e.event_type);
  assert.equal(types[0], 'exposure');
  assert.equal(types[1], 'plan_generated');
  assert.ok(types.at(-1) === 'plan_accepted' || types.at(-1) === 'plan_rejected');
  for (const e of served.events) {
    assert.equal(e.experiment_id, 'experiment-t');
    assert.equal(e.variant_id, 't-treatment');
    assert.equal(e.policy_version_id, 'candidate-v2');
    assert.equal(e.schema_version, 2);
  }
  assert.equal(served.events[0]?.event_id, exposureEventId('experiment-t', generateHousehold(7, 3).household.household_id));
  assert.equal(served.events[0]?.hash_version, 1);
  // Timestamps strictly increase within a session, so "first generated" and "last accepted" are well defined.
  for (let i = 1; i < served.events.length; i++)
    assert.ok((served.events[i]?.occurred_at as number) > (served.events[i - 1]?.occurred_at as number));
  const generated = served.events[1];
  assert.ok((generated?.latency_ms as number) > 0);
  // A local runtime costs its wall time at 0.72 USD an hour.
  assert.ok(Math.abs((generated?.cost_usd as number) - ((generated?.latency_ms as number) / 3_600_000) * 0.72) < 1e-15);
});

test('the exposure is logged once per household per experiment', async () => {
  const s = server();
  const policy = allTreatment({ kind: 'heuristic' });
  const first = await s.serve(session(5, 0), policy);
  const second = await s.serve(session(5, 1), policy);
  assert.equal(first.events.filter((e) => e.event_type === 'exposure').length, 1);
  assert.equal(second.events.filter((e) => e.event_type === 'exposure').length, 0);
  assert.equal(first.exposed, true);
  assert.equal(second.exposed, false);
});

test('outside experiments: production serves, events say none/production, nothing is an exposure', async () => {
  const served = await server().serve(session(8), { policy_id: 'planner', production, experiment: null });
  assert.ok(
    served.events.every(
      (e) => e.experiment_id === 'none' && e.variant_id === 'production' && e.policy_version_id === 'heuristic-baseline-v1',
    ),
  );
  assert.ok(!served.events.some((e) => e.event_type === 'exposure'));
});

test('what the user is shown breaks no constraint: every violation of the policy plan is an intervention event', async () => {
  const s = server();
  let interventions = 0;
  for (let i = 0; i < 40; i++) {
    const one = session(i);
    const served = await s.serve(one, allTreatment({ kind: 'heuristic' }));
    const validator = served.events.filter((e) => e.event_type === 'validator_intervened');
    interventions += served.interventions;
    assert.ok(validator.length >= served.interventions);
    const accepted = served.events.find((e) => e.event_type === 'plan_accepted');
    if (accepted?.plan) assert.deepEqual(checkPlan(accepted.plan, indexRecipes(catalogue), one.constraints, one.household.size), []);
  }
  // The heuristic baseline is constraint-safe: the validator has nothing to fix in its plans.
  assert.equal(interventions, 0);
});

test('a runtime that fails is served by production, the reason on every event, counted as a fallback', async () => {
  // Nothing listens on port 1: connection refused.
  const served = await server().serve(
    session(2),
    allTreatment({ kind: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', model: 'planner-llm' }),
  );
  assert.equal(served.failed, false);
  assert.match(served.fallbackReason ?? '', /^POLICY_UNREACHABLE: /);
  const planEvents = served.events.filter((e) => e.event_type !== 'exposure');
  assert.ok(planEvents.every((e) => e.policy_version_id === 'heuristic-baseline-v1' && e.variant_id === 't-treatment'));
  assert.ok(planEvents.every((e) => e.fallback_reason === served.fallbackReason));
  // The exposure names the version the household was assigned.
  assert.equal(served.events[0]?.policy_version_id, 'candidate-v2');
  const stats = new TrafficStats();
  stats.add(served, 'hh-000003');
  assert.equal(stats.fallbacks(), 1);
  assert.equal(stats.failed(), 0);
});

test('a runtime slower than the timeout is a failed request, served by production', async () => {
  const served = await server(200).serve(
    session(4),
    allTreatment({ kind: 'openai-compatible', base_url: silentUrl, model: 'planner-llm', timeout_ms: 60_000 }),
  );
  assert.equal(served.failed, false);
  assert.equal(served.fallbackReason, 'POLICY_TIMEOUT: no plan within 200 ms');
  assert.ok(served.events.some((e) => e.event_type === 'plan_generated' && e.policy_version_id === 'heuristic-baseline-v1'));
});

test('when production itself cannot plan, the request fails without events and is counted, never thrown', async () => {
  const broken = {
    policy_version_id: 'broken-v1',
    model_uri: null,
    runtime: { kind: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', model: 'x' },
  };
  const served = await server().serve(session(6), { policy_id: 'planner', production: broken, experiment: null });
  assert.equal(served.failed, true);
  assert.deepEqual(served.events, []);
  assert.match(served.fallbackReason ?? '', /POLICY_UNREACHABLE/);
  const stats = new TrafficStats();
  stats.add(served, 'hh-000007');
  assert.equal(stats.failed(), 1);
});

test('--degrade-treatment: the treatment plans meals the users dislike, and they edit them', async () => {
  const degraded = new PlanServer({
    catalogue,
    runtimes: new PolicyRuntimes(catalogue),
    policyTimeoutMs: 2000,
    usdPerComputeHour: 0.72,
    producer: 'test',
    degradeTreatment: 1,
  });
  const policy = allTreatment({ kind: 'heuristic' });
  let edits = 0;
  let plainEdits = 0;
  for (let i = 0; i < 60; i++) {
    const one = { ...session(i), faults: SeededRandom.derive(7, 'faults', i) };
    const bad = await degraded.serve(one, policy);
    const good = await server().serve({ ...session(i), faults: SeededRandom.derive(7, 'faults', i) }, policy);
    edits += bad.events.filter((e) => e.event_type === 'plan_edited').length;
    plainEdits += good.events.filter((e) => e.event_type === 'plan_edited').length;
  }
  assert.ok(edits > plainEdits * 1.5, `${edits} edits on disliked plans vs ${plainEdits} on the heuristic's`);
});
