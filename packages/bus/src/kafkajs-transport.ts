import type { PartitionLag } from '@planner/telemetry';
import { type IHeaders, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { ConsumeOptions, Consumption, Headers, MessageTransport, OutgoingMessage } from './transport.ts';

function readHeaders(headers: IHeaders | undefined): Headers {
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

/** The kafkajs implementation of the transport port. */
export class KafkajsTransport implements MessageTransport {
  readonly #kafka: Kafka;
  readonly #consumers = new Set<Consumption>();
  #producer: Promise<Producer> | undefined;

  constructor(options: { brokers: string[]; clientId: string }) {
    this.#kafka = new Kafka({ clientId: options.clientId, brokers: options.brokers, logLevel: logLevel.WARN });
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
    for (const message of messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      })),
    });
  }

  async consume(options: ConsumeOptions): Promise<Consumption> {
    const consumer = this.#kafka.consumer({ groupId: options.groupId, sessionTimeout: 15_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    // Resolve once the member joined and fetched: from then on its start offsets are fixed.
    const fetching = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.FETCH, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        await options.handle({
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: readHeaders(message.headers),
        });
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        await heartbeat();
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
      const committed = await admin.fetchOffsets({ groupId, topics });
      const rows: PartitionLag[] = [];
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const { partition, offset } of partitions) {
          const end = Number(ends.find((e) => e.partition === partition)?.high ?? 0);
          // -1: the group committed nothing there yet, so its position (and lag) is not known.
          if (Number(offset) < 0) continue;
          rows.push({ group: groupId, topic, partition, lag: Math.max(0, end - Number(offset)) });
        }
      }
      return rows;
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    if (this.#producer) await (await this.#producer).disconnect();
    this.#producer = undefined;
  }
}
