import type { EachMessagePayload, Kafka } from 'kafkajs';

/**
 * Joins `groupId`, reads until `count` distinct messages arrived, commits each
 * one explicitly, and leaves the group. Returns the distinct values in arrival
 * order. Delivery is at-least-once: a commit that fails while the group is
 * still settling makes kafkajs hand the same message over again.
 */
export async function consumeAndCommit(kafka: Kafka, topic: string, groupId: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length}/${count} messages after 30 s`)), 30_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message, partition }: EachMessagePayload) => {
            const value = String(message.value);
            if (!seen.includes(value)) seen.push(value);
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            if (seen.length === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
