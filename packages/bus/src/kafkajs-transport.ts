import { randomUUID } from 'node:crypto';
import type { PartitionLag } from '@planner/telemetry';
import { Kafka, Partitioners, type Producer } from 'kafkajs';
import { TransportError } from './bus-error.ts';
import { readHeaders, SupervisedConsumer } from './kafkajs-consumer.ts';
import { kafkajsLevel, kafkajsLogLevel } from './kafkajs-log.ts';
import type { PartitionOffset, ReadOptions, TopicAdmin } from './topic-admin.ts';
import type { ConsumeOptions, Consumption, IncomingMessage, MessageTransport, OutgoingMessage, TransportLog } from './transport.ts';

/**
 * Broker answers that no retry can change because the message itself is the
 * problem. A missing permission or topic is not among them: that is the
 * deployment's to fix, and senders wait (and log) rather than set every
 * message aside.
 */
const REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** The refusal type in a kafkajs error, its causes or its aggregated errors; undefined when there is none. */
function refusalOf(error: unknown, depth = 0): string | undefined {
  if (!(error instanceof Object) || depth > 8) return undefined;
  const { type, cause, errors } = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof type === 'string' && REFUSALS.has(type)) return type;
  if (Array.isArray(errors)) for (const inner of errors) if (refusalOf(inner, depth + 1)) return refusalOf(inner, depth + 1);
  return refusalOf(cause, depth + 1);
}

/** Warnings and errors as JSON lines on stderr, so tools that print data on stdout (the topic CLI) stay parseable. */
const stderrLog: TransportLog = (level, message, fields) => {
  if (level === 'error' || level === 'warn') {
    process.stderr.write(`${JSON.stringify({ level, logger: 'kafkajs', msg: message, ...fields })}\n`);
  }
};

/** The kafkajs implementation of the transport and topic-admin ports. */
export class KafkajsTransport implements MessageTransport, TopicAdmin {
  readonly #kafka: Kafka;
  readonly #namespace: string;
  readonly #log: TransportLog;
  readonly #consumers = new Set<Consumption>();
  #producer: Promise<Producer> | undefined;

  /**
   * `namespace` prefixes every topic and consumer group on the broker, so
   * several environments (or test runs) can share one cluster; callers keep
   * using the catalogue's names. `log` receives the client's own lines from
   * `level` up (a service passes its logger and its level; default warn).
   */
  constructor(options: { brokers: string[]; clientId: string; namespace?: string; log?: TransportLog; level?: string }) {
    this.#namespace = options.namespace ?? '';
    this.#log = options.log ?? stderrLog;
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: kafkajsLevel(options.level ?? 'warn'),
      logCreator:
        () =>
        ({ level, log: { message, timestamp: _timestamp, logger: _logger, ...fields } }) =>
          this.#log(kafkajsLogLevel(level, String(message)), String(message), fields),
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
    })().catch((error) => {
      // A producer that could not connect is not kept: the next send tries again.
      this.#producer = undefined;
      throw error;
    });
    return this.#producer;
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic);
      if (list) list.push(message);
      else byTopic.set(message.topic, [message]);
    }
    const connecting = this.#connectedProducer();
    try {
      const producer = await connecting;
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic: this.#physical(topic),
          messages: list.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            ...(m.partition === undefined ? {} : { partition: m.partition }),
          })),
        })),
      });
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) throw new TransportError('MESSAGE_REFUSED', `the broker refused the message: ${refusal}`, { cause: error });
      // A broker that restarted may no longer know this idempotent producer's id: start the next send with a new one
      // (unless another send already replaced it).
      if (this.#producer === connecting) void this.#resetProducer();
      throw new TransportError('BROKER_UNAVAILABLE', `could not send to Kafka: ${(error as Error).message}`, {
        cause: error,
        retryable: true,
      });
    }
  }

  async #resetProducer(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await (await producer?.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  async consume(options: ConsumeOptions): Promise<Consumption> {
    const member = new SupervisedConsumer(this.#kafka, {
      ...options,
      physicalGroup: this.#group(options.groupId),
      physicalTopics: options.topics.map((t) => this.#physical(t)),
      logical: (topic) => this.#logical(topic),
      log: this.#log,
    });
    await member.start();
    const consumption: Consumption = {
      health: () => member.health(),
      stop: async () => {
        this.#consumers.delete(consumption);
        await member.stop();
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

  endOffsets(topic: string): Promise<PartitionOffset[]> {
    return this.#withAdmin(async (admin) =>
      (await admin.fetchTopicOffsets(this.#physical(topic))).map(({ partition, high }) => ({ partition, offset: high })),
    );
  }

  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    return this.#withAdmin(async (admin) => {
      const [found] = await admin.fetchOffsets({ groupId: this.#group(groupId), topics: [this.#physical(topic)] });
      return (found?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
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
