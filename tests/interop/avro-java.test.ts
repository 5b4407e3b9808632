import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventBus, KafkajsTransport } from '@planner/bus';
import { ensureJars, javaCommand } from '@planner/local-stack';
import { SCHEMAS_DIR, SchemaRegistry, type TopicEvents, type TopicName, type TopicSchema } from '@planner/schemas';
import { useStack } from '../support/stack.ts';

const config = useStack('kafka');
const scratch = mkdtempSync(join(tmpdir(), 'pl-avro-interop-'));
const registry = SchemaRegistry.load();
const transport = new KafkajsTransport({ brokers: config.kafka.brokers, clientId: 'avro-interop' });
const bus = new EventBus({ transport, registry, producer: 'avro-interop-test' });
after(async () => {
  await transport.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The event id in a message's value; undefined for a value that is not one of the topic's events. */
function eventIdOf(topic: string, value: Buffer): string | undefined {
  try {
    return (registry.decode(topic, value).value as { event_id: string }).event_id;
  } catch {
    return undefined;
  }
}

/** Publishes `value` (with a fresh event id) with our bus on its catalogue topic and returns the bytes exactly as a consumer reads them. */
async function publishedByOurBus(topic: TopicName, value: TopicEvents[TopicName]): Promise<Buffer> {
  const eventId = value.event_id;
  const since = Date.now() - 1000;
  await bus.publish(topic, value);
  let found: Buffer | undefined;
  await transport.read({
    topic,
    start: { from: 'timestamp', timestamp: since },
    follow: false,
    onMessage: (message) => {
      if (message.value && eventIdOf(topic, message.value) === eventId) found = message.value;
      return found === undefined;
    },
  });
  assert.ok(found, `${topic}: the message our bus published was not found on the topic`);
  return found;
}

/** One pair's three lines from AvroReferenceDecoder. */
interface JavaReading {
  canonical: string;
  fingerprint: bigint;
  /** The decoded record as JSON text, or the reason Java could not read the message. */
  record?: string;
  error?: string;
}

/** Runs the Java decoder on `<message file>=<schema file>[=<writer schema file>]` pairs, one JVM for all. */
async function javaReads(pairs: string[]): Promise<JavaReading[]> {
  const jars = await ensureJars(join(config.root, 'deploy', 'local', 'jars', 'avro.lock'), join(config.cacheDir, 'maven'));
  const java = spawnSync(javaCommand(), ['-cp', jars.join(':'), join(import.meta.dirname, 'AvroReferenceDecoder.java'), ...pairs], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(java.status, 0, `the Java decoder failed: ${java.stderr}`);
  const lines = java.stdout.trim().split('\n');
  assert.equal(lines.length, pairs.length * 3);
  return pairs.map((_, i) => {
    const [canonical, fingerprint, outcome] = lines.slice(i * 3, i * 3 + 3) as [string, string, string];
    const rest = (line: string) => line.slice(line.indexOf(' ') + 1);
    return {
      canonical: rest(canonical),
      fingerprint: BigInt.asUintN(64, BigInt(rest(fingerprint))),
      ...(outcome.startsWith('record ') ? { record: rest(outcome) } : { error: rest(outcome) }),
    };
  });
}

function example(topic: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, topic, 'example.json'), 'utf8'));
}

/** exp.events v2 beyond its example: an exposure with a hash version, and a plan the production version served on a fallback. */
const EXP_EVENTS_V2_CASES: Record<string, unknown>[] = [
  {
    ...example('exp.events'),
    event_type: 'exposure',
    experiment_id: 'exp-ranker',
    variant_id: 'treatment',
    policy_version_id: 'planner_policy:2',
    plan: null,
    edits: [],
    latency_ms: null,
    hash_version: 3,
  },
  {
    ...example('exp.events'),
    event_type: 'plan_generated',
    experiment_id: 'exp-ranker',
    variant_id: 'treatment',
    edits: [],
    fallback_reason: 'assigned version timed out after 2000 ms',
  },
];

test('the reference Java Avro library decodes the messages our bus published, from the schema files alone', async () => {
  const cases: { topic: TopicName; value: Record<string, unknown> }[] = [
    ...(registry.topics() as TopicName[]).map((topic) => ({ topic, value: example(topic) })),
    ...EXP_EVENTS_V2_CASES.map((value) => ({ topic: 'exp.events' as const, value })),
  ];
  const pairs: string[] = [];
  for (const [i, c] of cases.entries()) {
    // A fresh event id, so the message is found among earlier runs' messages on the topic.
    c.value = { ...c.value, event_id: randomUUID() };
    const messageFile = join(scratch, `${i}-${c.topic}.bin`);
    writeFileSync(messageFile, await publishedByOurBus(c.topic, c.value as unknown as TopicEvents[TopicName]));
    pairs.push(`${messageFile}=${registry.latest(c.topic).file}`);
  }

  const readings = await javaReads(pairs);
  assert.ok(registry.latest('exp.events').version >= 2, 'exp.events v2 is among the versions checked');
  for (const [i, { topic, value }] of cases.entries()) {
    const schema = registry.latest(topic);
    const reading = readings[i] as JavaReading;
    assert.equal(reading.canonical, schema.canonical, `${topic}: same Parsing Canonical Form as Java`);
    assert.equal(reading.fingerprint, schema.fingerprint, `${topic}: same CRC-64-AVRO as Java`);
    assert.equal(reading.error, undefined, `${topic} ${String(value.event_type ?? '')}: Java read it`);
    assert.deepEqual(JSON.parse(reading.record as string), value, `${topic}: Java decodes the value we encoded`);
  }
});

test('Java resolves exp.events across versions as the Avro spec says: v2 reads v1; v1 reads v2 but an exposure', async () => {
  const [v1, v2] = registry.versions('exp.events') as [TopicSchema, TopicSchema];
  const { hash_version: _h, fallback_reason: _f, ...v2Fields } = example('exp.events');
  const accepted = { ...v2Fields, schema_version: 1 };
  const [exposure] = EXP_EVENTS_V2_CASES as [Record<string, unknown>];
  const file = (name: string, bytes: Buffer) => {
    const path = join(scratch, name);
    writeFileSync(path, bytes);
    return path;
  };
  const v1Message = file('v1-accepted.bin', new SchemaRegistry([v1]).encode('exp.events', accepted));
  const v2Accepted = file('v2-accepted.bin', registry.encode('exp.events', example('exp.events')));
  const v2Exposure = file('v2-exposure.bin', registry.encode('exp.events', exposure));
  const [v2ReadsV1, v1ReadsAccepted, v1ReadsExposure] = (await javaReads([
    `${v1Message}=${v2.file}=${v1.file}`,
    `${v2Accepted}=${v1.file}=${v2.file}`,
    `${v2Exposure}=${v1.file}=${v2.file}`,
  ])) as [JavaReading, JavaReading, JavaReading];
  assert.deepEqual(
    [v2ReadsV1.fingerprint, v1ReadsAccepted.fingerprint, v1ReadsExposure.fingerprint],
    [v2.fingerprint, v1.fingerprint, v1.fingerprint],
    'each message was read as the intended version',
  );
  assert.deepEqual(JSON.parse(v2ReadsV1.record as string), { ...accepted, hash_version: null, fallback_reason: null });
  // Java resolves per message: a v1 reader drops the fields it does not know and fails only on a symbol it lacks.
  assert.deepEqual(JSON.parse(v1ReadsAccepted.record as string), v2Fields);
  assert.equal(v1ReadsExposure.record, undefined, 'a v1 reader cannot read an exposure');
  assert.match(v1ReadsExposure.error as string, /AvroTypeException: No match for exposure/);
});
