import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENVELOPE_LIMITS, envelopeProblems, FIELD_LIMITS } from '../src/field-limits.ts';

/** A hand-made envelope with every field at a plausible length. */
function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: '0b6f3c2e-5d1a-4b7e-9a41-3f0e2d9c8b71',
    occurred_at: 1795689600000,
    correlation_id: 'plan-7f3a',
    producer: 'planner-api',
    schema_version: 1,
    ...overrides,
  };
}

test('the envelope limits are the documented field limits', () => {
  assert.deepEqual(FIELD_LIMITS, { id: 128, name: 50, text: 4000 });
  assert.deepEqual(ENVELOPE_LIMITS, { event_id: 128, correlation_id: 128, producer: 50 });
  // Ids built from names fit the id limit: policy:model:v<10 digits> and model/YYYY-MM-DD.
  assert.ok(2 * FIELD_LIMITS.name + ':'.length * 2 + 'v'.length + 10 <= FIELD_LIMITS.id);
  assert.ok(FIELD_LIMITS.name + '/YYYY-MM-DD'.length <= FIELD_LIMITS.id);
});

test('an envelope within its limits has no problems, up to exactly the limit', () => {
  assert.deepEqual(envelopeProblems(envelope()), []);
  assert.deepEqual(
    envelopeProblems(envelope({ correlation_id: 'c'.repeat(128), event_id: 'e'.repeat(128), producer: 'p'.repeat(50) })),
    [],
  );
});

test('a missing, empty or non-string envelope field is named', () => {
  const { correlation_id: _dropped, ...withoutCorrelation } = envelope();
  assert.deepEqual(envelopeProblems(withoutCorrelation), ['correlation_id is missing or empty']);
  assert.deepEqual(envelopeProblems(envelope({ producer: '' })), ['producer is missing or empty']);
  assert.deepEqual(envelopeProblems(envelope({ event_id: 42 })), ['event_id is missing or empty']);
  assert.deepEqual(envelopeProblems({}), [
    'event_id is missing or empty',
    'correlation_id is missing or empty',
    'producer is missing or empty',
  ]);
});

test('a 129-character correlation id is one problem naming the field, its length and the limit', () => {
  assert.deepEqual(envelopeProblems(envelope({ correlation_id: 'c'.repeat(129) })), [
    'correlation_id has 129 characters; at most 128 are allowed',
  ]);
});

test('every field over its limit is reported, in envelope order', () => {
  assert.deepEqual(envelopeProblems(envelope({ producer: 'p'.repeat(500), event_id: 'e'.repeat(200) })), [
    'event_id has 200 characters; at most 128 are allowed',
    'producer has 500 characters; at most 50 are allowed',
  ]);
});

test('a control character in an envelope id is a problem (PostgreSQL text cannot even hold NUL)', () => {
  assert.deepEqual(envelopeProblems(envelope({ event_id: 'abc\u0000def', correlation_id: 'line\nbreak' })), [
    'event_id contains a control character',
    'correlation_id contains a control character',
  ]);
  assert.deepEqual(envelopeProblems(envelope({ correlation_id: 'ünïcödé-is-fine' })), []);
});
