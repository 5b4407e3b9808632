import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchemaError, SchemaRegistry, type TopicEvents } from '@planner/schemas';
import { EventBus } from '../src/event-bus.ts';
import type { MessageTransport } from '../src/transport.ts';

/** message() and enqueue's encoding never reach the transport: one that fails loudly if they do. */
const unused = new Proxy({} as MessageTransport, {
  get: (_target, name) => () => {
    throw new Error(`the transport's ${String(name)} was called`);
  },
});
const bus = new EventBus({ transport: unused, registry: SchemaRegistry.load(), producer: 'envelope-test' });

function request(correlationId: string): TopicEvents['dataset.requested'] {
  return bus.event(
    'dataset.requested',
    { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: 'test' },
    correlationId,
  );
}

test('an event whose correlation id has 128 characters is encoded', () => {
  const message = bus.message('dataset.requested', request('c'.repeat(128)));
  const decoded = bus.registry.decode('dataset.requested', message.value).value as { correlation_id: string };
  assert.equal(decoded.correlation_id, 'c'.repeat(128));
});

test('an event whose correlation id has 129 characters is refused with EVENT_INVALID, naming the topic, field and limit', () => {
  assert.throws(
    () => bus.message('dataset.requested', request('c'.repeat(129))),
    (error: unknown) =>
      error instanceof SchemaError &&
      error.code === 'EVENT_INVALID' &&
      error.message === 'dataset.requested event envelope: correlation_id has 129 characters; at most 128 are allowed',
  );
});

test('an event with an empty producer is refused before encoding', () => {
  const event = { ...request('run-1'), producer: '' };
  assert.throws(
    () => bus.message('dataset.requested', event),
    (error: unknown) =>
      error instanceof SchemaError && error.code === 'EVENT_INVALID' && /producer is missing or empty/.test(error.message),
  );
});

test('publish and enqueue refuse it too, before anything is sent or written', async () => {
  const event = request('c'.repeat(129));
  await assert.rejects(
    bus.publish('dataset.requested', event),
    (error: unknown) => error instanceof SchemaError && error.code === 'EVENT_INVALID',
  );
  // No database: enqueue must fail at the envelope, before it touches the transaction.
  const noDatabase = new Proxy({} as Parameters<typeof bus.enqueue>[0], {
    get: () => {
      throw new Error('the database was used');
    },
  });
  await assert.rejects(
    bus.enqueue(noDatabase, 'dataset.requested', event),
    (error: unknown) => error instanceof SchemaError && error.code === 'EVENT_INVALID',
  );
});
