import { randomUUID } from 'node:crypto';
import type { PartitionLag } from '@planner/telemetry';
import { type IHeaders, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { PartitionOffset, ReadOptions, TopicAdmin } from './topic-admin.ts';
import type { ConsumeOptions, Consumption, Headers, IncomingMessage, MessageTransport, OutgoingMessage } from './transport.ts';

/**
 * Messages handed to the consumer at once: one database transaction each. The
 * transaction's fixed cost (BEGIN, COMMIT and its WAL flush) is what bounds the
 * idempotent consumer, so batches are as large as a fetch usually brings.
 */
const MAX_HANDLED_TOGETHER = 1000;
const PARTITIONS_IN_PARALLEL = 3;

function readHeaders(headers: IHeaders | undefined): Headers {
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

/** The kafkajs implementation of the transport and topic-admin ports. */
export class KafkajsTransport implements MessageTransport, TopicAdmin {
  readonly #kafka: Kafka;
  readonly #namespace: string;
  readonly #consumers = new Set<Consumption>();
  #producer: Promise<Producer> | undefined;

  /**
   * `namespace` prefixes every topic and consumer group on the broker, so
   * several environments (or test runs) can share one cluster; callers keep
   * using the catalogue's names.
   */
  constructor(options: { brokers: string[]; clientId: string; namespace?: string }) {
    this.#namespace = options.namespace ?? '';
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      // To stderr, so tools that print data on stdout (the topic CLI) stay parseable.
      logCreator:
        () =>
        ({ level, log }) =>
          process.stderr.write(`${JSON.stringify({ level: logLevel[level], logger: 'kafkajs', ...log })}\n`),
    });
  }

  #physical(topic: string): string {
    return this.#namespace + topic;
  }

  #logical(topic: string): string {
    return topic.startsWith(this.#namespace) ? topic.slice(this.#namespace.length) : topic;
  }

  #group(groupId: string): string {
    return this.#namespace + groupId;
  }

  #connectedProducer(): Promise<Producer> {
    this.#producer ??= (async () => {
      // Idempotent: broker-side deduplication of retries, and per-partition order with several requests in flight.
      // The default partitioner is murmur2, as in the Java client: a key lands where other clients put it.
      const producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    return this.#producer;
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.#connectedProducer();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic);
      if (list) list.push(message);
      else byTopic.set(message.topic, [message]);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic: this.#physical(topic),
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      })),
    });
  }

  async consume(options: ConsumeOptions): Promise<Consumption> {
    const consumer = this.#kafka.consumer({
      groupId: this.#group(options.groupId),
      sessionTimeout: 15_000,
      heartbeatInterval: 1_000,
      // How long an empty fetch waits on the broker. A message ends the wait at once, so this
      // bounds only idle polling and how long joining (first fetch) and leaving take: the
      // default 5 s made every consumer start and stop take 5 s.
      maxWaitTimeInMs: 1_000,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics.map((t) => this.#physical(t)), fromBeginning: options.fromBeginning });
    // Resolve once the member joined and fetched: from then on its start offsets are fixed.
    const fetching = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.FETCH, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      // Offsets are resolved only after handleBatch resolved, and committed every second,
      // every 100 messages and when leaving the group: at-least-once, without a broker
      // round trip per message.
      autoCommit: true,
      autoCommitInterval: 1000,
      autoCommitThreshold: 100,
      // Partitions are independent: handle a few at once (order holds within each).
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const size = options.maxBatchSize ?? MAX_HANDLED_TOGETHER;
        for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += size) {
          const chunk = batch.messages.slice(i, i + size);
          await options.handleBatch(
            chunk.map((message) => ({
              topic: this.#logical(batch.topic),
              partition: batch.partition,
              offset: message.offset,
              timestamp: message.timestamp,
              key: message.key,
              value: message.value,
              headers: readHeaders(message.headers),
            })),
          );
          resolveOffset((chunk.at(-1) as { offset: string }).offset);
          await heartbeat();
        }
      },
    });
    await fetching;
    const consumption: Consumption = {
      stop: async () => {
        this.#consumers.delete(consumption);
        // disconnect() lets the message in hand finish, then leaves the group.
        await consumer.disconnect();
      },
    };
    this.#consumers.add(consumption);
    return consumption;
  }

  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId: this.#group(groupId), topics: topics.map((t) => this.#physical(t)) });
      const rows: PartitionLag[] = [];
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const { partition, offset } of partitions) {
          const end = Number(ends.find((e) => e.partition === partition)?.high ?? 0);
          // -1: the group committed nothing there yet, so its position (and lag) is not known.
          if (Number(offset) < 0) continue;
          rows.push({ group: groupId, topic: this.#logical(topic), partition, lag: Math.max(0, end - Number(offset)) });
        }
      }
      return rows;
    } finally {
      await admin.disconnect();
    }
  }

  async #withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  groupState(groupId: string): Promise<{ state: string; members: number }> {
    return this.#withAdmin(async (admin) => {
      const { groups } = await admin.describeGroups([this.#group(groupId)]);
      const group = groups[0];
      return { state: group?.state ?? 'Dead', members: group?.members.length ?? 0 };
    });
  }

  offsetsAt(topic: string, timestamp: number): Promise<PartitionOffset[]> {
    return this.#withAdmin(async (admin) => {
      const found = await admin.fetchTopicOffsetsByTimestamp(this.#physical(topic), timestamp);
      const ends = await admin.fetchTopicOffsets(this.#physical(topic));
      // The broker answers -1 when no message is that recent: start at the end.
      return found.map(({ partition, offset }) => ({
        partition,
        offset: offset === '-1' ? (ends.find((e) => e.partition === partition)?.high ?? '0') : offset,
      }));
    });
  }

  setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffset[]): Promise<void> {
    return this.#withAdmin((admin) =>
      admin.setOffsets({ groupId: this.#group(groupId), topic: this.#physical(topic), partitions: offsets }),
    );
  }

  async read(options: ReadOptions): Promise<void> {
    const ends = await this.#withAdmin((admin) => admin.fetchTopicOffsets(this.#physical(options.topic)));
    const starts =
      options.start.from === 'timestamp'
        ? await this.offsetsAt(options.topic, options.start.timestamp)
        : ends.map((e) => ({ partition: e.partition, offset: e.low }));
    if (options.start.from === 'offset') {
      const { partition, offset } = options.start;
      if (!ends.some((e) => e.partition === partition)) throw new Error(`${options.topic} has no partition ${partition}`);
      for (const start of starts)
        start.offset = start.partition === partition ? offset : (ends.find((e) => e.partition === start.partition)?.high ?? '0');
    }
    const startOf = new Map(starts.map((s) => [s.partition, BigInt(s.offset)]));
    // Nothing left to read on a partition once its position reaches the end seen at the start.
    const remaining = new Map(
      ends
        .filter((e) => BigInt(e.high) > BigInt(starts.find((s) => s.partition === e.partition)?.offset ?? e.high))
        .map((e) => [e.partition, BigInt(e.high)]),
    );
    if (!options.follow && remaining.size === 0) return;

    // kafkajs reads only through a group: a throwaway one that never commits.
    const consumer = this.#kafka.consumer({ groupId: `planner-read-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.#physical(options.topic)], fromBeginning: true });
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let stopped = false;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        if (stopped || BigInt(message.offset) < (startOf.get(partition) ?? 0n)) return;
        const incoming: IncomingMessage = {
          topic: this.#logical(topic),
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: readHeaders(message.headers),
        };
        const end = remaining.get(partition);
        const past = !options.follow && (end === undefined || BigInt(message.offset) >= end);
        if (!past && (await options.onMessage(incoming)) === false) stopped = true;
        if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
        if (stopped || (!options.follow && remaining.size === 0)) finish();
      },
    });
    for (const start of starts) consumer.seek({ topic: this.#physical(options.topic), partition: start.partition, offset: start.offset });
    await done;
    await consumer.disconnect();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    if (this.#producer) await (await this.#producer).disconnect();
    this.#producer = undefined;
  }
}
