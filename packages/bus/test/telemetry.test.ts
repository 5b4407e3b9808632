import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { BusMetrics, startTracing, type Tracing } from '@planner/telemetry';
import { Registry } from 'prom-client';
import { useStack } from '../../../tests/support/stack.ts';
import { EventBus } from '../src/event-bus.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';
import { type SpanRecord, spanFileExporter } from './fixtures/span-file-exporter.ts';

useStack('kafka', 'postgres');
const scratch = mkdtempSync(join(tmpdir(), 'pl-telemetry-'));
const spanFile = join(scratch, 'spans.jsonl');
let tracing: Tracing;
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  tracing = startTracing({ serviceName: 'service-a', exporter: spanFileExporter(spanFile, 'service-a') });
  f = await busFixture('telemetry');
});
after(async () => {
  await f.close();
  await tracing.shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

const spans = (): SpanRecord[] =>
  readFileSync(spanFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SpanRecord);

test('one lifecycle run is one trace across services: A publishes, B (another process) reacts, A consumes the result', async () => {
  const correlationId = randomUUID();
  const seen = new Promise<void>((resolve, reject) => {
    f.bus
      .subscribe({
        groupId: `g-a-${correlationId}`,
        topic: 'dataset.ready',
        db: f.db,
        handler: async (event) => {
          if (event.correlation_id === correlationId) resolve();
        },
      })
      .then((c) => after(() => c.stop()))
      .catch(reject);
  });
  const serviceB = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures', 'relay-service.ts'), `g-b-${correlationId}`, correlationId, spanFile],
    {
      stdio: 'inherit',
    },
  );

  const rootTraceId = await trace.getTracer('test').startActiveSpan('start lifecycle run', async (root) => {
    const event = f.bus.event(
      'dataset.requested',
      { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: 'test' },
      correlationId,
    );
    await f.bus.publish('dataset.requested', event);
    root.end();
    return root.spanContext().traceId;
  });

  await seen;
  const [code] = await once(serviceB, 'exit');
  assert.equal(code, 0);
  await eventually('service A consumer span', async () =>
    spans().some((s) => s.service === 'service-a' && s.name === 'process dataset.ready') ? true : undefined,
  );

  const run = spans().filter((s) => s.traceId === rootTraceId);
  const names = run.map((s) => `${s.service}: ${s.name}`);
  assert.ok(names.includes('service-a: publish dataset.requested'), names.join(', '));
  assert.ok(names.includes('service-b: process dataset.requested'), names.join(', '));
  assert.ok(names.includes('service-b: publish dataset.ready'), names.join(', '));
  assert.ok(names.includes('service-a: process dataset.ready'), names.join(', '));
  const processInB = run.find((s) => s.service === 'service-b' && s.name === 'process dataset.requested');
  const publishInA = run.find((s) => s.name === 'publish dataset.requested');
  assert.equal(processInB?.parentSpanId, publishInA?.spanId, 'B continues the span A sent in the headers');
});

test('bus metrics count what the bus did, by topic and outcome', async () => {
  // A namespace of its own: another test file's messages on the topic would change the counts.
  const own = await ownTopics(f, { topic: 'dataset.requested' });
  const registry = new Registry();
  const bus = new EventBus({
    transport: own.transport,
    registry: f.bus.registry,
    producer: 'metrics-test',
    metrics: new BusMetrics(registry),
  });
  const correlationId = randomUUID();
  const event = bus.event(
    'dataset.requested',
    { model_name: 'planner', window_start: 0, window_end: 1, dataset_date: '2026-11-26', split_seed: 1, requested_by: 'test' },
    correlationId,
  );
  let deliveries = 0;
  const consumption = await bus.subscribe({
    groupId: `g-${correlationId}`,
    topic: 'dataset.requested',
    db: f.db,
    fromBeginning: false,
    handler: async () => undefined,
    afterCommit: (received) => {
      if (received.correlation_id === correlationId) deliveries++;
    },
  });
  try {
    await bus.publish('dataset.requested', event);
    await bus.publish('dataset.requested', event);
    await eventually('two deliveries', async () => (deliveries === 2 ? true : undefined));
    const text = await registry.metrics();
    assert.match(text, /planner_bus_messages_produced_total\{topic="dataset.requested"\} 2/);
    assert.match(text, /planner_bus_messages_consumed_total\{topic="dataset.requested",outcome="processed"\} 1/);
    assert.match(text, /planner_bus_messages_consumed_total\{topic="dataset.requested",outcome="duplicate"\} 1/);
    assert.match(text, /planner_bus_handler_duration_seconds_count\{topic="dataset.requested"\} 1/);
    // Offsets are committed within a second of handling: then no partition of the group lags.
    const lag = await eventually('committed offsets', async () => {
      const rows = (await registry.metrics())
        .split('\n')
        .filter((line) => line.startsWith(`planner_bus_consumer_lag{group="g-${correlationId}",topic="dataset.requested"`));
      return rows.length >= 1 && rows.every((line) => line.endsWith(' 0')) ? rows : undefined;
    });
    assert.ok(lag.length >= 1);
  } finally {
    await consumption.stop();
    await own.close();
  }
});
