import { randomUUID } from 'node:crypto';
import { envelopeProblems, SchemaError, type SchemaRegistry, type TopicEvents, type TopicName } from '@planner/schemas';
import { type BusMetrics, injectTraceContext, producerSpan } from '@planner/telemetry';
import type { Kysely, Transaction } from 'kysely';
import type { BusTables } from './bus-tables.ts';
import { AVRO_SINGLE_OBJECT, HEADER } from './headers.ts';
import { IdempotentConsumer, type SubscribeOptions } from './idempotent-consumer.ts';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts';
import type { Consumption, MessageTransport, OutgoingMessage } from './transport.ts';

/** The fields every event carries, which the bus fills in. */
export type Envelope = 'event_id' | 'occurred_at' | 'correlation_id' | 'producer' | 'schema_version';
export type EventBody<T extends TopicName> = Omit<TopicEvents[T], Envelope>;

/**
 * Typed Avro events over the transport port: direct publish, the transactional
 * outbox, and idempotent consumers with bounded retries and dead-letter topics.
 */
export class EventBus {
  readonly transport: MessageTransport;
  readonly registry: SchemaRegistry;
  readonly producer: string;
  readonly metrics: BusMetrics | undefined;

  constructor(options: { transport: MessageTransport; registry: SchemaRegistry; producer: string; metrics?: BusMetrics }) {
    this.transport = options.transport;
    this.registry = options.registry;
    this.producer = options.producer;
    this.metrics = options.metrics;
  }

  /** A new event of `topic`: the body plus a fresh id, the time, the correlation id and this producer. */
  event<T extends TopicName>(topic: T, body: EventBody<T>, correlationId: string): TopicEvents[T] {
    // The body first: copying it is then one step (not a lookup per field), and envelope fields in it cannot win.
    return {
      ...body,
      event_id: randomUUID(),
      occurred_at: Date.now(),
      correlation_id: correlationId,
      producer: this.producer,
      schema_version: this.registry.latest(topic).version,
    } as TopicEvents[T];
  }

  /**
   * Encodes and addresses an event; the key defaults to its correlation id, so
   * one run stays in order. Headers: the content type and the active trace
   * context; everything else is in the value.
   */
  message<T extends TopicName>(topic: T, event: TopicEvents[T], key?: string): OutgoingMessage {
    const problems = envelopeProblems(event as unknown as Record<string, unknown>);
    if (problems.length > 0) throw new SchemaError('EVENT_INVALID', `${topic} event envelope: ${problems.join('; ')}`);
    return {
      topic,
      key: key ?? event.correlation_id,
      value: this.registry.encode(topic, event),
      headers: injectTraceContext({ [HEADER.contentType]: AVRO_SINGLE_OBJECT }),
    };
  }

  /** Sends at once; for producers without a database (generators, CLIs). */
  async publish<T extends TopicName>(topic: T, event: TopicEvents[T], key?: string): Promise<void> {
    await producerSpan(topic, () => this.transport.send([this.message(topic, event, key)]));
    this.metrics?.produced.inc({ topic });
  }

  /** Sends several events of one topic in one request to the broker. */
  async publishMany<T extends TopicName>(topic: T, events: TopicEvents[T][], key?: (event: TopicEvents[T]) => string): Promise<void> {
    await producerSpan(topic, () => this.transport.send(events.map((event) => this.message(topic, event, key?.(event)))));
    this.metrics?.produced.inc({ topic }, events.length);
  }

  /**
   * Stages an event in the outbox inside the caller's transaction: it leaves
   * if and only if the caller's effects commit. Encoding happens here, so an
   * invalid event fails the transaction instead of reaching the relay.
   * `partition` overrides the key's partition, for work spread evenly by the producer.
   */
  async enqueue<T extends TopicName, DB extends BusTables>(
    trx: Transaction<DB> | Kysely<DB>,
    topic: T,
    event: TopicEvents[T],
    key?: string,
    partition?: number,
  ): Promise<void> {
    const message = this.message(topic, event, key);
    await (trx as unknown as Kysely<BusTables>)
      .insertInto('exp.outbox')
      .values({
        producer: this.producer,
        topic,
        message_key: message.key,
        partition: partition ?? null,
        payload: message.value,
        headers: message.headers,
      })
      .execute();
  }

  relay<DB extends BusTables>(
    db: Kysely<DB>,
    options: Pick<OutboxRelayOptions<DB>, 'batchSize' | 'idleDelayMs' | 'onError' | 'onParked'> = {},
  ): OutboxRelay<DB> {
    return new OutboxRelay<DB>({
      db,
      transport: this.transport,
      producer: this.producer,
      ...(this.metrics ? { metrics: this.metrics } : {}),
      ...options,
    });
  }

  async subscribe<T extends TopicName, DB>(options: SubscribeOptions<T, DB>): Promise<Consumption> {
    const consumer = new IdempotentConsumer({ transport: this.transport, registry: this.registry, metrics: this.metrics }, options);
    this.metrics?.trackLag(() => this.transport.consumerLag(options.groupId, [options.topic]));
    return this.transport.consume({
      groupId: options.groupId,
      topics: [options.topic],
      fromBeginning: options.fromBeginning ?? true,
      ...(options.maxBatchSize ? { maxBatchSize: options.maxBatchSize } : {}),
      ...(options.partitionsInParallel ? { partitionsInParallel: options.partitionsInParallel } : {}),
      handleBatch: consumer.handleBatch,
    });
  }
}
