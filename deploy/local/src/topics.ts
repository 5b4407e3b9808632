import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';

export interface TopicSpec {
  name: string;
  partitions: number;
}

const DEAD_LETTER_PARTITIONS = 1;

/** Every topic of the catalogue in schemas/topics.json, each followed by its dead-letter topic. */
export function projectTopics(root: string): TopicSpec[] {
  const catalogue = JSON.parse(readFileSync(join(root, 'schemas', 'topics.json'), 'utf8')) as {
    topics: TopicSpec[];
  };
  return catalogue.topics.flatMap((topic) => [
    { name: topic.name, partitions: topic.partitions },
    { name: `${topic.name}.dlt`, partitions: DEAD_LETTER_PARTITIONS },
  ]);
}

/**
 * Creates missing topics and grows topics that have fewer partitions than the
 * catalogue asks for (Kafka cannot shrink them). Safe to run any number of times.
 */
export async function ensureTopics(brokers: string[], topics: TopicSpec[]): Promise<{ created: string[]; grown: string[] }> {
  const kafka = new Kafka({ clientId: 'planner-local-stack', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })),
      });
      await waitForLeaders(admin, missing);
    }
    const present = topics.filter((t) => existing.has(t.name));
    const grown: string[] = [];
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      const toGrow = present.filter((t) => {
        const found = metadata.topics.find((m) => m.name === t.name);
        return found !== undefined && found.partitions.length < t.partitions;
      });
      if (toGrow.length > 0) {
        await admin.createPartitions({ topicPartitions: toGrow.map((t) => ({ topic: t.name, count: t.partitions })) });
        grown.push(...toGrow.map((t) => t.name));
      }
    }
    return { created: missing.map((t) => t.name), grown };
  } finally {
    await admin.disconnect();
  }
}

const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

/**
 * Waits until every partition of `topics` has a leader that answers. kafkajs's
 * own wait gives up when the broker's metadata does not list a just-created
 * topic yet, which happens while many topics are being created at once; and a
 * broker may name itself leader in its metadata a moment before it answers
 * ListOffsets for the partition. Both mean "not yet".
 */
async function waitForLeaders(admin: Admin, topics: TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      const led = (t: TopicSpec) => {
        const partitions = found.find((m) => m.name === t.name)?.partitions ?? [];
        return partitions.length === t.partitions && partitions.every((p) => p.leader >= 0);
      };
      if (topics.every(led)) {
        // Offsets are the first thing consumers and the topic CLI ask a partition's leader for.
        await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t.name)));
        return;
      }
    } catch (error) {
      // kafkajs wraps the broker's error once it has used up its own retries.
      const { type, cause } = error as { type?: string; cause?: { type?: string } };
      if (!NOT_YET.has(type ?? cause?.type ?? '')) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Kafka created ${topics.map((t) => t.name).join(', ')} but gave them no leaders within ${timeoutMs / 1000} s`);
    }
    await sleep(100);
  }
}

export async function kafkaReady(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'planner-local-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
