import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { consumeAndCommit } from '../support/kafka.ts';
import { uniqueName, useStack } from '../support/stack.ts';

const config = useStack('kafka');
const kafka = new Kafka({ clientId: 'smoke', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true });

after(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

test('kafkajs produces and consumes through a consumer group on the Kafka 4 broker, and a restarted member resumes at the committed offset', async () => {
  const topic = uniqueName('smoke-kafka');
  const groupId = uniqueName('smoke-group');
  await admin.connect();
  await producer.connect();
  // The producer waits for the new partitions' leaders itself; kafkajs' waitForLeaders gives up on the
  // UNKNOWN_TOPIC_OR_PARTITION a loaded broker answers for a moment after creating a topic.
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: false }), true);

  const first = Array.from({ length: 6 }, (_, i) => `first-${i}`);
  await producer.send({ topic, messages: first.map((value, i) => ({ key: `k${i}`, value })) });
  assert.deepEqual((await consumeAndCommit(kafka, topic, groupId, 6)).sort(), first);

  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const total = committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  assert.equal(total, 6, 'the group committed offsets past all six messages');

  // A new member of the same group after the first left: it must see only what came later.
  const second = Array.from({ length: 4 }, (_, i) => `second-${i}`);
  await producer.send({ topic, messages: second.map((value, i) => ({ key: `k${i}`, value })) });
  assert.deepEqual((await consumeAndCommit(kafka, topic, groupId, 4)).sort(), second);

  await admin.deleteTopics({ topics: [topic] });
});

test("the project's topics exist with the catalogue's partition counts", async () => {
  const { projectTopics } = await import('@planner/local-stack');
  await admin.connect();
  const wanted = projectTopics(config.root);
  const metadata = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) });
  for (const topic of wanted) {
    const found = metadata.topics.find((m) => m.name === topic.name);
    assert.ok(found, `topic ${topic.name} exists`);
    assert.ok(
      found.partitions.length >= topic.partitions,
      `${topic.name} has ${found.partitions.length} partitions, wants ${topic.partitions}`,
    );
  }
  assert.ok(
    wanted.some((t) => t.name === 'replay.shards' && t.partitions >= 16),
    'the replay work topic spreads over many workers',
  );
});
