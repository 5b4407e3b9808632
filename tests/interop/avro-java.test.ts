import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureJars, javaCommand } from '@planner/local-stack';
import { SCHEMAS_DIR, SchemaRegistry } from '@planner/schemas';
import { Kafka, logLevel } from 'kafkajs';
import { uniqueName, useStack } from '../support/stack.ts';

const config = useStack('kafka');
const scratch = mkdtempSync(join(tmpdir(), 'pl-avro-interop-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Produces raw bytes to a fresh topic and reads them back exactly as a consumer receives them. */
async function throughKafka(bytes: Buffer): Promise<Buffer> {
  const kafka = new Kafka({ clientId: 'interop', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const topic = uniqueName('interop');
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  const consumer = kafka.consumer({ groupId: uniqueName('interop') });
  await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, messages: [{ value: bytes }] });
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message after 30 s')), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve(message.value as Buffer);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  }
}

test('the reference Java Avro library decodes our single-object messages from the schema files alone', async () => {
  const registry = SchemaRegistry.load();
  const jars = await ensureJars(join(config.root, 'deploy', 'local', 'jars', 'avro.lock'), join(config.cacheDir, 'maven'));

  const topics = registry.topics();
  const pairs: string[] = [];
  for (const topic of topics) {
    const value = JSON.parse(readFileSync(join(SCHEMAS_DIR, topic, 'example.json'), 'utf8'));
    const messageFile = join(scratch, `${topic}.bin`);
    writeFileSync(messageFile, await throughKafka(registry.encode(topic, value)));
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
    const value = JSON.parse(readFileSync(join(SCHEMAS_DIR, topic, 'example.json'), 'utf8'));
    assert.equal(canonical, schema.canonical, `${topic}: same Parsing Canonical Form as Java`);
    assert.equal(BigInt.asUintN(64, BigInt(fingerprint as string)), schema.fingerprint, `${topic}: same CRC-64-AVRO as Java`);
    assert.deepEqual(JSON.parse(record as string), value, `${topic}: Java decodes the value we encoded`);
  }
});
