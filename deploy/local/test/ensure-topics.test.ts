import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { assertStackReachable } from '../src/stack.ts';
import { loadStackConfig } from '../src/stack-config.ts';
import { ensureTopics, projectTopics } from '../src/topics.ts';

const config = loadStackConfig();
const admin = new Kafka({ clientId: 'ensure-topics-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
const prefix = `ensure_${randomBytes(3).toString('hex')}_`;
before(async () => {
  await assertStackReachable(config, ['kafka']);
  await admin.connect();
});
after(async () => {
  const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  await admin.disconnect();
});

test('eight namespaces created at once all get every topic, each partition with a leader; a second run creates nothing', async () => {
  const namespaces = Array.from({ length: 8 }, (_, i) =>
    projectTopics(config.root).map((t) => ({ ...t, name: `${prefix}${i}.${t.name}` })),
  );
  // Many creations at once is when the broker's metadata lags behind its answers to CreateTopics.
  const results = await Promise.all(namespaces.map((topics) => ensureTopics(config.kafka.brokers, topics)));
  for (const [i, result] of results.entries()) {
    assert.deepEqual(result.created.sort(), (namespaces[i] ?? []).map((t) => t.name).sort());
  }

  const wanted = namespaces.flat();
  const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) });
  for (const spec of wanted) {
    const partitions = topics.find((t) => t.name === spec.name)?.partitions ?? [];
    assert.equal(partitions.length, spec.partitions, spec.name);
    assert.ok(
      partitions.every((p) => p.leader >= 0),
      `${spec.name} has a leader on every partition`,
    );
  }
  assert.deepEqual(await ensureTopics(config.kafka.brokers, namespaces[0] ?? []), { created: [], grown: [] });
});
