import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventBus, HEADER, KafkajsTransport } from '@planner/bus';
import { ensureJars, javaCommand } from '@planner/local-stack';
import { SCHEMAS_DIR, SchemaRegistry, type TopicEvents, type TopicName } from '@planner/schemas';
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
      if (message.headers[HEADER.eventId] === eventId && message.value) found = message.value;
      return found === undefined;
    },
  });
  assert.ok(found, `${topic}: the message our bus published was not found on the topic`);
  return found;
}

test('the reference Java Avro library decodes the messages our bus published, from the schema files alone', async () => {
  const jars = await ensureJars(join(config.root, 'deploy', 'local', 'jars', 'avro.lock'), join(config.cacheDir, 'maven'));

  const topics = registry.topics();
  const pairs: string[] = [];
  const published = new Map<string, unknown>();
  for (const topic of topics as TopicName[]) {
    // A fresh event id, so the message is found among earlier runs' messages on the topic.
    const value = { ...JSON.parse(readFileSync(join(SCHEMAS_DIR, topic, 'example.json'), 'utf8')), event_id: randomUUID() };
    published.set(topic, value);
    const messageFile = join(scratch, `${topic}.bin`);
    writeFileSync(messageFile, await publishedByOurBus(topic, value));
    pairs.push(`${messageFile}=${registry.latest(topic).file}`);
  }

  const java = spawnSync(javaCommand(), ['-cp', jars.join(':'), join(import.meta.dirname, 'AvroReferenceDecoder.java'), ...pairs], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(java.status, 0, `the Java decoder failed: ${java.stderr}`);
  const lines = java.stdout.trim().split('\n');
  assert.equal(lines.length, topics.length * 3);
  for (const [i, topic] of topics.entries()) {
    const schema = registry.latest(topic);
    const [canonical, fingerprint, record] = lines.slice(i * 3, i * 3 + 3).map((line) => line.slice(line.indexOf(' ') + 1));
    const value = published.get(topic);
    assert.equal(canonical, schema.canonical, `${topic}: same Parsing Canonical Form as Java`);
    assert.equal(BigInt.asUintN(64, BigInt(fingerprint as string)), schema.fingerprint, `${topic}: same CRC-64-AVRO as Java`);
    assert.deepEqual(JSON.parse(record as string), value, `${topic}: Java decodes the value we encoded`);
  }
});
