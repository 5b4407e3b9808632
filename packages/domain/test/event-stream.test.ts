import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanEvent } from '@planner/schemas';
import { baselinePlan } from '../src/baseline-plan.ts';
import { checkPlan, indexRecipes } from '../src/constraint-checker.ts';
import type { Constraints } from '../src/constraints.ts';
import { DomainError } from '../src/domain-error.ts';
import type { Household } from '../src/household.ts';
import { validateInputContext } from '../src/input-context.ts';
import { encodeInputContext } from '../src/input-context-codec.ts';
import { generateCatalogue } from '../src/synthetic/catalogue.ts';
import {
  type EventStreamOptions,
  generateEventStream,
  generateSyntheticWorld,
  type SyntheticRecord,
} from '../src/synthetic/event-stream.ts';
import { hiddenPreferenceScore } from '../src/synthetic/hidden-preferences.ts';
import { DEFAULT_WORLD_START_MS } from '../src/synthetic/households.ts';
import { planMeals } from '../src/weekly-plan.ts';

const START = DEFAULT_WORLD_START_MS;
const options: EventStreamOptions = { seed: 7, households: 400, weeks: 3, startMs: START };
const records: SyntheticRecord[] = [...generateSyntheticWorld({ ...options, includeContexts: true })];
const events = records.flatMap((r) => (r.type === 'event' ? [r.event] : []));
const catalogue = records.flatMap((r) => (r.type === 'recipe' ? [r.recipe] : []));
const byId = indexRecipes(catalogue);
const homes = new Map<string, { household: Household; constraints: Constraints }>();
for (const r of records) if (r.type === 'household') homes.set(r.household.household_id, r);

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of iterable) {
    if (out.length === n) break;
    out.push(item);
  }
  return out;
}

test('the same seed gives byte-identical events; another seed different ones', () => {
  const first = take(generateEventStream(options), 500);
  assert.equal(JSON.stringify(first), JSON.stringify(events.slice(0, 500)));
  assert.notDeepEqual(take(generateEventStream({ ...options, seed: 8 }), 500), first);
});

test('the world comes in loader order: recipes, households, then pantries and events in time order', () => {
  const kinds = records.map((r) => r.type);
  assert.equal(kinds.indexOf('household'), catalogue.length);
  assert.equal(kinds.lastIndexOf('recipe'), catalogue.length - 1);
  assert.equal(kinds.lastIndexOf('household'), catalogue.length + 399);
  assert.deepEqual(catalogue, generateCatalogue(7));
  let last = Number.NEGATIVE_INFINITY;
  for (const r of records.slice(catalogue.length + 400)) {
    assert.ok(r.type === 'event' || r.type === 'pantry_snapshot' || r.type === 'input_context');
    const time = r.type === 'event' ? r.event.occurred_at : r.type === 'pantry_snapshot' ? r.pantry.taken_at : r.context.as_of;
    assert.ok(time >= last, 'records are in time order');
    last = time;
  }
  assert.equal(records.filter((r) => r.type === 'pantry_snapshot').length, 400 * 3);
});

test('every session: plan_generated first, then edits, then exactly one plan_accepted or plan_rejected', () => {
  const sessions = new Map<string, PlanEvent[]>();
  for (const e of events) sessions.set(e.plan_id, [...(sessions.get(e.plan_id) ?? []), e]);
  assert.equal(sessions.size, 400 * 3);
  for (const [planId, session] of sessions) {
    assert.equal(session[0]?.event_type, 'plan_generated', planId);
    const end = session[session.length - 1] as PlanEvent;
    assert.ok(end.event_type === 'plan_accepted' || end.event_type === 'plan_rejected');
    assert.equal(session.filter((e) => e.event_type === 'plan_accepted' || e.event_type === 'plan_rejected').length, 1);
    for (const e of session.slice(1, -1)) assert.ok(e.event_type === 'plan_edited' || e.event_type === 'validator_intervened');
    const edits = session.filter((e) => e.event_type === 'plan_edited').flatMap((e) => e.edits);
    assert.deepEqual(end.edits, edits, 'the ending carries the full edit list');
    assert.ok(session.every((e) => e.household_id === session[0]?.household_id && e.correlation_id === planId));
  }
});

test('the accepted plan is the generated plan with the edits applied', () => {
  const generated = new Map(events.filter((e) => e.event_type === 'plan_generated').map((e) => [e.plan_id, e.plan]));
  for (const accepted of events.filter((e) => e.event_type === 'plan_accepted')) {
    const plan = structuredClone(generated.get(accepted.plan_id));
    assert.ok(plan !== undefined && plan !== null);
    for (const edit of accepted.edits) {
      const meal: { recipe_id: string } | undefined = plan.days[edit.day]?.meals.find((m) => m.slot === edit.slot);
      assert.equal(meal?.recipe_id, edit.from_recipe_id);
      if (meal !== undefined) meal.recipe_id = edit.to_recipe_id as string;
    }
    assert.deepEqual(accepted.plan, plan);
  }
});

test('baseline plans never violate a constraint; accepted plans neither', () => {
  for (const e of events) {
    if (e.event_type !== 'plan_generated' && e.event_type !== 'plan_accepted') continue;
    const home = homes.get(e.household_id);
    assert.ok(home !== undefined && e.plan !== null);
    assert.deepEqual(checkPlan(e.plan, byId, home.constraints, home.household.size), [], e.plan_id);
  }
});

test('the signal is learnable: accepted plans score higher on the hidden preferences than generated ones', () => {
  const mean = (type: PlanEvent['event_type']) => {
    let sum = 0;
    let n = 0;
    for (const e of events) {
      if (e.event_type !== type || e.plan === null) continue;
      const home = homes.get(e.household_id) as { household: Household };
      for (const m of planMeals(e.plan)) {
        sum += hiddenPreferenceScore(home.household, byId.get(m.recipe_id) as (typeof catalogue)[number]);
        n++;
      }
    }
    return sum / n;
  };
  const generated = mean('plan_generated');
  const accepted = mean('plan_accepted');
  assert.ok(accepted > generated + 0.15, `accepted ${accepted} vs generated ${generated}`);
});

test('each session’s input context is valid, reproduces its plan, and uses the last accepted plan as previous', () => {
  const generated = new Map(events.filter((e) => e.event_type === 'plan_generated').map((e) => [e.plan_id, e]));
  const lastAccepted = new Map<string, PlanEvent['plan']>();
  for (const r of records) {
    if (r.type === 'event' && r.event.event_type === 'plan_accepted') lastAccepted.set(r.event.household_id, r.event.plan);
    if (r.type !== 'input_context') continue;
    const event = generated.get(r.plan_id) as PlanEvent;
    assert.deepEqual(validateInputContext(r.context), r.context);
    encodeInputContext(r.context);
    assert.equal(r.context.as_of, event.occurred_at);
    assert.equal(r.context.workflow_type, event.workflow_type);
    assert.equal(r.context.mode, event.mode);
    assert.ok(r.context.pantry.taken_at < event.occurred_at);
    assert.deepEqual(baselinePlan(r.context, catalogue), event.plan);
    assert.deepEqual(r.context.previous_plan, lastAccepted.get(r.context.household.household_id) ?? null);
  }
});

test('events carry the experiment metadata and plausible figures', () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.equal(new Set(events.map((e) => e.event_id)).size, events.length);
  for (const e of events) {
    assert.match(e.event_id, uuid);
    assert.equal(e.experiment_id, 'none');
    assert.equal(e.variant_id, 'production');
    assert.equal(e.policy_version_id, 'heuristic-baseline-v1');
    assert.equal(e.producer, 'synthetic-generator');
    assert.equal(e.schema_version, 2);
    assert.equal(e.hash_version, null);
    assert.equal(e.fallback_reason, null);
    if (e.event_type === 'plan_generated') {
      assert.ok(e.latency_ms !== null && e.latency_ms > 1 && e.latency_ms < 1000);
      assert.ok(e.cost_usd !== null && e.cost_usd > 0 && e.cost_usd < 0.001);
    }
    if (e.event_type === 'plan_edited' || e.event_type === 'validator_intervened') {
      assert.equal(e.plan, null);
      assert.equal(e.edits.length, 1);
    }
  }
  assert.equal(new Set(events.map((e) => e.workflow_type)).size, 3);
  assert.equal(new Set(events.map((e) => e.mode)).size, 4);
});

test('rates: ≈ 5% of sessions rejected, a few validator interventions, a few edits per session', () => {
  const count = (type: PlanEvent['event_type']) => events.filter((e) => e.event_type === type).length;
  const sessions = count('plan_generated');
  assert.ok(Math.abs(count('plan_rejected') / sessions - 0.05) < 0.02);
  assert.ok(count('validator_intervened') > 0);
  const editsPerSession = count('plan_edited') / sessions;
  assert.ok(editsPerSession > 1.5 && editsPerSession < 4, `${editsPerSession} edits per session`);
});

test('missing metadata: exactly ⌊n × rate⌋ of the first n events, none by default', () => {
  assert.ok(events.every((e) => e.experiment_id !== null && e.variant_id !== null && e.policy_version_id !== null));
  const rate = 0.03;
  const lacking = [...generateEventStream({ ...options, missingMetadataRate: rate })];
  const missing = lacking.filter((e) => e.experiment_id === null || e.variant_id === null || e.policy_version_id === null);
  assert.equal(missing.length, Math.floor(lacking.length * rate));
  // Only the metadata differs from the complete stream.
  const restore = (e: PlanEvent) => ({
    ...e,
    experiment_id: 'none',
    variant_id: 'production',
    policy_version_id: 'heuristic-baseline-v1',
  });
  assert.deepEqual(lacking.map(restore), events);
  assert.ok(new Set(missing.map((e) => e.event_type)).size > 1);
});

test('options: caller-given ids and correlation, rejection rate, and refusal of impossible values', () => {
  const custom = take(
    generateEventStream({
      ...options,
      experimentId: 'exp-1',
      variantId: 'treatment',
      policyVersionId: 'planner_policy:3',
      producer: 'p',
      correlationId: 'run-1',
    }),
    50,
  );
  assert.ok(
    custom.every(
      (e) =>
        e.experiment_id === 'exp-1' &&
        e.variant_id === 'treatment' &&
        e.policy_version_id === 'planner_policy:3' &&
        e.correlation_id === 'run-1' &&
        e.producer === 'p',
    ),
  );
  const perSession = take(generateEventStream({ ...options, correlationId: (s) => `${s.household_id}/w${s.week}` }), 50);
  assert.ok(perSession.every((e) => e.correlation_id === `${e.household_id}/w0`));
  const rejected = [...generateEventStream({ ...options, weeks: 1, rejectRate: 1 })];
  assert.equal(rejected.filter((e) => e.event_type === 'plan_accepted').length, 0);
  for (const bad of [{ households: 0 }, { weeks: 1.5 }, { missingMetadataRate: 2 }, { seed: Number.NaN }, { catalogue: [] }]) {
    assert.throws(
      () => take(generateEventStream({ ...options, ...bad }), 1),
      (e: unknown) => e instanceof DomainError && e.code === 'GENERATOR_OPTIONS_INVALID',
    );
  }
});

test('lazy with bounded memory: the first events of a five-million-event stream arrive at once', () => {
  const started = performance.now();
  const first = take(generateEventStream({ seed: 3, households: 20_000, weeks: 50, startMs: START }), 200);
  assert.equal(first.length, 200);
  assert.ok(performance.now() - started < 5000);
});
