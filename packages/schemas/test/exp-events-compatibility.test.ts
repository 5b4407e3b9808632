import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanEvent } from '../src/events.generated.ts';
import type { SchemaError } from '../src/schema-error.ts';
import { SchemaRegistry } from '../src/schema-registry.ts';

const TOPIC = 'exp.events';
const registry = SchemaRegistry.load();
const [v1, v2] = registry.versions(TOPIC);
assert.ok(v1 && v2 && v1.version === 1 && v2.version === 2, 'exp.events has versions 1 and 2');
/** What a consumer that has not upgraded holds: v1 alone. */
const v1Only = new SchemaRegistry([v1]);

/** A v1 plan_accepted event: v1 has no hash_version or fallback_reason. */
const v1Accepted = {
  event_id: '0b6f3c2e-5d1a-4b7e-9a41-3f0e2d9c8b71',
  occurred_at: 1795689600000,
  correlation_id: 'plan-7f3a',
  producer: 'planner-api',
  schema_version: 1,
  event_type: 'plan_accepted',
  household_id: 'hh-000123',
  plan_id: 'plan-7f3a',
  workflow_type: 'pantry_first',
  mode: 'autopilot',
  experiment_id: 'exp-baseline',
  variant_id: 'control',
  policy_version_id: 'planner_policy:1',
  plan: { days: [{ day: 0, meals: [{ slot: 'dinner', recipe_id: 'r-lentil-curry' }] }] },
  edits: [{ day: 0, slot: 'dinner', from_recipe_id: 'r-beef-stew', to_recipe_id: 'r-lentil-curry' }],
  latency_ms: 412.5,
  cost_usd: null,
};

/** The decoded value as plain data: avsc decodes records into instances of generated classes. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const exposure: PlanEvent = {
  event_id: '5c7d9e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f',
  occurred_at: 1795689600000,
  correlation_id: 'plan-7f3a',
  producer: 'planner-api',
  schema_version: 2,
  event_type: 'exposure',
  household_id: 'hh-000123',
  plan_id: 'plan-7f3a',
  workflow_type: 'plan_first',
  mode: null,
  experiment_id: 'exp-ranker',
  variant_id: 'treatment',
  policy_version_id: 'planner_policy:2',
  plan: null,
  edits: [],
  latency_ms: null,
  cost_usd: null,
  hash_version: 3,
  fallback_reason: null,
};

test('a plan_accepted written with v1 decodes under v2: event type kept, hash_version and fallback_reason null', () => {
  const message = v1Only.encode(TOPIC, v1Accepted);
  assert.deepEqual(message.subarray(0, 10), v1.header, 'written with v1');
  const { value, writer } = registry.decode(TOPIC, message);
  assert.equal(writer.version, 1);
  assert.deepEqual(plain(value), { ...v1Accepted, hash_version: null, fallback_reason: null });
  assert.equal((value as PlanEvent).event_type, 'plan_accepted');
});

test('every v1 event type decodes under v2 as the same type', () => {
  for (const type of ['plan_generated', 'plan_edited', 'plan_accepted', 'plan_rejected', 'validator_intervened']) {
    const { value } = registry.decode(TOPIC, v1Only.encode(TOPIC, { ...v1Accepted, event_type: type }));
    assert.equal((value as PlanEvent).event_type, type);
  }
});

test('an exposure event written with v2 round-trips', () => {
  const message = registry.encode(TOPIC, exposure);
  assert.deepEqual(message.subarray(0, 10), v2.header, 'written with v2');
  const { value, writer } = registry.decode(TOPIC, message);
  assert.equal(writer.version, 2);
  assert.deepEqual(plain(value), exposure);
});

test('a fallback reason written with v2 round-trips', () => {
  const fellBack = { ...exposure, event_type: 'plan_generated' as const, fallback_reason: 'assigned version timed out after 2000 ms' };
  assert.deepEqual(plain(registry.decode(TOPIC, registry.encode(TOPIC, fellBack)).value), fellBack);
});

test('one-way: a v1 reader cannot read a v2 exposure event (consumers upgrade before producers emit exposures)', () => {
  // v1's PlanEventType has no `exposure` symbol and no enum default, so a v1 reader cannot resolve v2 data.
  assert.throws(() => v1.type.createResolver(v2.type), /cannot read "planner\.events\.PlanEventType"/);
  assert.throws(
    () => v1Only.decode(TOPIC, registry.encode(TOPIC, exposure)),
    (e: SchemaError) => e.code === 'SCHEMA_UNKNOWN_FINGERPRINT',
  );
});

test('stricter in practice: a consumer holding only v1 refuses every v2 message, not only exposures', () => {
  // It does not know v2's fingerprint, and avsc resolves whole schemas, not the symbols a message happens to use.
  const accepted = { ...v1Accepted, schema_version: 2, hash_version: null, fallback_reason: null };
  assert.throws(
    () => v1Only.decode(TOPIC, registry.encode(TOPIC, accepted)),
    (e: SchemaError) => e.code === 'SCHEMA_UNKNOWN_FINGERPRINT' && /is not a schema of topic 'exp\.events'/.test(e.message),
  );
});
