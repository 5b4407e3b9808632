import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { assertStackReachable } from '../src/stack.ts';
import { loadStackConfig } from '../src/stack-config.ts';
import { ensureTopics, projectTopics } from '../src/topics.ts';

const config = loadStackConfig();
// No retries: a partition that is not ready yet must show up here, not be waited out by kafkajs.
const admin = new Kafka({
  clientId: 'ensure-topics-test',
  brokers: config.kafka.brokers,
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
}).admin();
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

test('eight namespaces created at once all get every topic, each partition with a leader that answers; a second run creates nothing', async () => {
  const namespaces = Array.from({ length: 8 }, (_, i) =>
    projectTopics(config.root).map((t) => ({ ...t, name: `${prefix}${i}.${t.name}` })),
  );
  // Many creations at once is when the broker's metadata lags behind its answers to CreateTopics.
  const results = await Promise.all(namespaces.map((topics) => ensureTopics(config.kafka.brokers, topics)));
  for (const [i, result] of results.entries()) {
    assert.deepEqual(result.created.sort(), (namespaces[i] ?? []).map((t) => t.name).sort());
  }

  const wanted = namespaces.flat();
  // Offsets are the first thing a consumer or the topic CLI asks for: the leader must answer at once.
  for (const spec of wanted) {
    const offsets = await admin.fetchTopicOffsets(spec.name);
    assert.equal(offsets.length, spec.partitions, spec.name);
  }
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
