import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { Kafka, logLevel, PartitionAssigners } from 'kafkajs';
import { useStack } from '../../../tests/support/stack.ts';
import { KafkajsTransport } from '../src/kafkajs-transport.ts';
import type { TransportLog } from '../src/transport.ts';
import { busFixture, eventually } from './fixtures/bus-fixture.ts';
import { ownTopics } from './fixtures/own-topics.ts';

useStack('kafka', 'postgres');
const TOPIC = 'dataset.requested';
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('supervised');
});
after(() => f.close());

/** A transport in the test's namespace whose client logs are kept for the assertions. */
function loggedTransport(namespace: string) {
  const logs: { level: string; message: string }[] = [];
  const log: TransportLog = (level, message) => logs.push({ level, message });
  return { logs, transport: new KafkajsTransport({ brokers: f.config.kafka.brokers, clientId: 'bus-test-supervised', namespace, log }) };
}

test('a consumer that crashes on an error kafkajs will not restart after is replaced, and its messages come again', async () => {
  const own = await ownTopics(f, { topic: TOPIC });
  const { logs, transport } = loggedTransport(own.namespace);
  const handled: string[] = [];
  let failed = false;
  const consumption = await transport.consume({
    groupId: 'g-crash',
    topics: [TOPIC],
    fromBeginning: true,
    handleBatch: async (messages) => {
      // An error kafkajs calls non-retriable (as its own are when a broker stays away): the consumer crashes for good.
      if (!failed) {
        failed = true;
        throw new kafkajs.KafkaJSNonRetriableError('the broker went away for too long');
      }
      handled.push(...messages.map((m) => String(m.value)));
    },
  });
  try {
    await own.transport.send(['a', 'b', 'c'].map((v) => ({ topic: TOPIC, key: v, value: Buffer.from(v), headers: {} })));
    await eventually('the messages handled by the replacement consumer', async () => (handled.length === 3 ? true : undefined), 60_000);
    assert.deepEqual(handled.sort(), ['a', 'b', 'c']);
    assert.ok(
      logs.some((l) => l.message === 'consumer restarted after a crash'),
      JSON.stringify(logs),
    );
    await eventually('the member healthy again', async () => (consumption.health().healthy ? true : undefined));
  } finally {
    await consumption.stop();
    await transport.close();
    await own.close();
  }
});

test('a first join refused for good fails consume() with the reason and leaves no member behind', async () => {
  const own = await ownTopics(f, { topic: TOPIC });
  const groupId = 'g-refused';
  // A member already in the group that speaks only an assignment protocol the bus's consumer does not:
  // the broker answers the bus's JoinGroup with INCONSISTENT_GROUP_PROTOCOL, a crash kafkajs does not restart.
  const kafka = new Kafka({ clientId: 'bus-test-blocker', brokers: f.config.kafka.brokers, logLevel: logLevel.NOTHING });
  const blocker = kafka.consumer({
    groupId: `${own.namespace}${groupId}`,
    maxWaitTimeInMs: 200,
    partitionAssigners: [(config) => ({ ...PartitionAssigners.roundRobin(config), name: 'OtherAssigner' })],
  });
  let blockerJoined = false;
  blocker.on(blocker.events.GROUP_JOIN, () => {
    blockerJoined = true;
  });
  await blocker.connect();
  await blocker.subscribe({ topics: [`${own.namespace}${TOPIC}`] });
  await blocker.run({ eachMessage: async () => undefined });
  const { transport } = loggedTransport(own.namespace);
  try {
    await eventually('the other member in the group', async () => (blockerJoined ? true : undefined));
    await assert.rejects(
      transport.consume({ groupId, topics: [TOPIC], fromBeginning: true, handleBatch: async () => undefined }),
      /protocols are incompatible|INCONSISTENT_GROUP_PROTOCOL/i,
    );
    await blocker.disconnect();
    await eventually('the group empty', async () => ((await own.transport.groupState(groupId)).members === 0 ? true : undefined));
  } finally {
    await blocker.disconnect();
    await transport.close();
    await own.close();
  }
});
