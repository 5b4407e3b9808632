/**
 * Avro publish-and-consume throughput through the bus, against raw kafkajs
 * sending the same pre-encoded bytes, on the same broker in the same run.
 *
 *   ./lifecycle bench bus [--messages 20000] [--batch 500] [--rounds 2] [--keys 1]
 *
 * Each run gets its own database and topics (removed at the end), so the
 * inbox starts empty. With --keys 1 every message has the same key and lands
 * on one partition: the consumer handles one batch at a time. --keys 64
 * spreads them over the topic's partitions, as upstream traffic keyed by
 * household is, and the bus handles a few partitions at once.
 *
 * Publish and consume are timed apart: N messages are published with no
 * consumer running, then a fresh group whose offsets were set to just before
 * them reads them, timed from its first message to its Nth.
 * - bus publish: builds each event (id, time, envelope), validates and encodes
 *   it, adds the bus's headers (content-type, and the trace context when a
 *   trace is active: none here) and a producer span, sends in batches;
 * - raw publish: sends bytes encoded before the clock starts, no headers;
 * - raw + headers: the same, plus the headers the bus writes (their values
 *   prepared before the clock starts), to separate what the header contract
 *   costs in kafkajs from the bus's own work;
 * - bus consume: decodes, records each event id in PostgreSQL in one transaction
 *   per batch with a no-op handler (the idempotent consumer);
 * - raw consume: kafkajs eachMessage counting messages.
 * Both sides use the same producer settings and commit settings; one warm-up
 * round runs first, then the best of --rounds rounds is reported.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BusTables, busMigrations, EventBus, KafkajsTransport } from '@planner/bus';
import { createDatabase, migrate } from '@planner/db';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import { SCHEMAS_DIR, SchemaRegistry, type TopicEvents } from '@planner/schemas';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { isolatedLifecycle } from '../scripts/local-lifecycle/isolated-lifecycle.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    keys: { type: 'string', default: '1' },
  },
});
const N = Number(values.messages);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const TOPIC = 'exp.events';
const KEYS = Number(values.keys);
/** Every message of a round shares the run id as key prefix; --keys spreads them over that many keys (and so partitions). */
const keyOf = (runId: string, eventId: string) => (KEYS === 1 ? runId : `${runId}:${Number.parseInt(eventId.slice(0, 8), 16) % KEYS}`);

const config = loadStackConfig();
await assertStackReachable(config, ['kafka', 'postgres']);
const registry = SchemaRegistry.load();
const example = JSON.parse(readFileSync(join(SCHEMAS_DIR, TOPIC, 'example.json'), 'utf8')) as TopicEvents['exp.events'];
const { event_id: _id, occurred_at: _at, correlation_id: _c, producer: _p, schema_version: _v, ...body } = example;

// A fresh database and topics per run, so figures do not depend on what earlier runs left in the inbox.
const life = await isolatedLifecycle(config, 'bench_bus');
const transport = new KafkajsTransport({ brokers: config.kafka.brokers, clientId: 'bench-bus', namespace: life.namespace });
const bus = new EventBus({ transport, registry, producer: 'bench' });
const db = createDatabase<BusTables>(life.databaseUrl, { maxConnections: 4 });
await migrate(db, 'bus', busMigrations);
const kafka = new Kafka({ clientId: 'bench-raw', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();

interface Timing {
  publishMs: number;
  consumeMs: number;
}

/** Counts to n; the returned clock starts at the first counted message. */
function counter(n: number) {
  let seen = 0;
  let first = 0;
  let finish: (ms: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  return {
    done,
    tick() {
      if (seen === 0) first = performance.now();
      if (++seen === n) finish(performance.now() - first);
    },
  };
}

async function rawRound(n: number, withHeaders: boolean): Promise<Timing> {
  const runId = randomUUID();
  const events = Array.from({ length: n }, () => ({ ...example, event_id: randomUUID(), correlation_id: runId }));
  const bodies = events.map((event) => registry.encode(TOPIC, event));
  const headers = events.map((event) => (withHeaders ? bus.message(TOPIC, event).headers : {}));
  const start = await transport.offsetsAt(TOPIC, Date.now() + 60_000); // the current ends
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    await producer.send({
      topic: life.namespace + TOPIC,
      acks: -1,
      messages: bodies.slice(i, i + BATCH).map((value, j) => ({
        key: keyOf(runId, (events[i + j] as { event_id: string }).event_id),
        value,
        ...(withHeaders ? { headers: headers[i + j] as Record<string, string> } : {}),
      })),
    });
  }
  const publishMs = performance.now() - t0;

  const groupId = `bench-raw-${runId}`;
  await transport.setGroupOffsets(groupId, TOPIC, start);
  const count = counter(n);
  const consumer = kafka.consumer({ groupId: life.namespace + groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [life.namespace + TOPIC] });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1000,
    autoCommitThreshold: 100,
    eachMessage: async ({ message }) => {
      if (message.key?.toString().startsWith(runId)) count.tick();
    },
  });
  const consumeMs = await count.done;
  await consumer.disconnect();
  return { publishMs, consumeMs };
}

async function busRound(n: number): Promise<Timing> {
  const runId = randomUUID();
  const start = await transport.offsetsAt(TOPIC, Date.now() + 60_000);
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    await bus.publishMany(
      TOPIC,
      Array.from({ length: Math.min(BATCH, n - i) }, () => bus.event(TOPIC, body, runId)),
      (e) => keyOf(runId, e.event_id),
    );
  }
  const publishMs = performance.now() - t0;

  const groupId = `bench-bus-${runId}`;
  await transport.setGroupOffsets(groupId, TOPIC, start);
  const count = counter(n);
  const consumption = await bus.subscribe({
    groupId,
    topic: TOPIC,
    db,
    handler: async () => undefined,
    afterCommit: (event) => {
      if (event.correlation_id === runId) count.tick();
    },
  });
  const consumeMs = await count.done;
  await consumption.stop();
  return { publishMs, consumeMs };
}

const rate = (ms: number) => (N / ms) * 1000;
const fmt = (perSecond: number) => `${Math.round(perSecond).toLocaleString('en-US')} msg/s`;

console.log(
  `bus throughput: ${N.toLocaleString('en-US')} exp.events messages of ${registry.encode(TOPIC, example).length} bytes, batches of ${BATCH}, ${KEYS === 1 ? 'one key (one partition)' : `${KEYS} keys`}, best of ${ROUNDS} rounds after a warm-up, broker ${config.kafka.brokers.join(',')}`,
);
const peers = {
  raw: (n: number) => rawRound(n, false),
  rawHeaders: (n: number) => rawRound(n, true),
  bus: busRound,
};
for (const run of Object.values(peers)) await run(Math.min(N, 2000));
const best = {
  raw: { publishMs: Infinity, consumeMs: Infinity },
  rawHeaders: { publishMs: Infinity, consumeMs: Infinity },
  bus: { publishMs: Infinity, consumeMs: Infinity },
};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(peers) as [keyof typeof peers, (n: number) => Promise<Timing>][]) {
    const timing = await run(N);
    best[name].publishMs = Math.min(best[name].publishMs, timing.publishMs);
    best[name].consumeMs = Math.min(best[name].consumeMs, timing.consumeMs);
  }
}

const phases: [string, (t: Timing) => number][] = [
  ['publish', (t) => t.publishMs],
  ['consume', (t) => t.consumeMs],
  ['end to end', (t) => t.publishMs + t.consumeMs],
];
console.log(
  `${'phase'.padEnd(12)}${'bus'.padStart(15)}${'raw kafkajs'.padStart(15)}${'raw+headers'.padStart(15)}${'bus/raw'.padStart(9)}${'bus/raw+h'.padStart(11)}`,
);
for (const [phase, ms] of phases) {
  const [viaBus, raw, rawHeaders] = [rate(ms(best.bus)), rate(ms(best.raw)), rate(ms(best.rawHeaders))];
  console.log(
    `${phase.padEnd(12)}${fmt(viaBus).padStart(15)}${fmt(raw).padStart(15)}${fmt(rawHeaders).padStart(15)}${(viaBus / raw).toFixed(2).padStart(9)}${(viaBus / rawHeaders).toFixed(2).padStart(11)}`,
  );
}
await producer.disconnect();
await transport.close();
await db.destroy();
await life.cleanup();
