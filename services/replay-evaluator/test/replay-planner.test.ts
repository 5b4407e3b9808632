import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shardPartition, shardPartitionCount } from '../src/replay-planner.ts';

test("a replay's shards go round the partitions from a start of its own: each partition gets its share ±1", () => {
  const counts = new Array(32).fill(0);
  for (let index = 0; index < 85; index++) counts[shardPartition('replay-a', index, 32)]++;
  // 85 = 2 × 32 + 21: 21 partitions hold 3 shards, 11 hold 2.
  assert.deepEqual([...new Set(counts)].sort(), [2, 3]);
  assert.equal(counts.filter((n) => n === 3).length, 21);
  const start = shardPartition('replay-a', 0, 32);
  assert.equal(shardPartition('replay-a', 1, 32), (start + 1) % 32, 'consecutive shards, consecutive partitions');
  assert.equal(shardPartition('replay-a', 32, 32), start, 'and round again');
  const starts = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => shardPartition(id, 0, 32)));
  assert.ok(starts.size > 1, 'different replays start on different partitions, so small replays do not all load partition 0');
});

test('the partition count is asked once, and asked again after a failure', async () => {
  let asked = 0;
  let fail = true;
  const count = shardPartitionCount({
    endOffsets: async (topic: string) => {
      asked++;
      assert.equal(topic, 'replay.shards');
      if (fail) throw new Error('broker away');
      return [0, 1, 2].map((partition) => ({ partition, offset: '0' }));
    },
  });
  await assert.rejects(count(), /broker away/);
  fail = false;
  assert.equal(await count(), 3);
  assert.equal(await count(), 3);
  assert.equal(asked, 2);
});
