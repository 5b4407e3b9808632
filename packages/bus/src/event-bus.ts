import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '@planner/errors';
import { SchemaError, type SchemaRegistry, type TopicEvents, type TopicName } from '@planner/schemas';
import { type BusMetrics, consumerSpan, injectTraceContext, producerSpan } from '@planner/telemetry';
import type { Kysely, Transaction } from 'kysely';
import { EventRejected } from './bus-error.ts';
import type { BusTables } from './bus-tables.ts';
import { AVRO_SINGLE_OBJECT, DLT_HEADER, deadLetterTopic, HEADER } from './headers.ts';
import { OutboxRelay } from './outbox-relay.ts';
import type { Consumption, IncomingMessage, MessageTransport, OutgoingMessage } from './transport.ts';

/** The fields every event carries, which the bus fills in. */
export type Envelope = 'event_id' | 'occurred_at' | 'correlation_id' | 'producer' | 'schema_version';
export type EventBody<T extends TopicName> = Omit<TopicEvents[T], Envelope>;

export interface HandlerContext<DB> {
  /** The transaction the event id is recorded in: write the handler's effects here. */
  trx: Transaction<DB & BusTables>;
  message: IncomingMessage;
  attempt: number;
}

export interface SubscribeOptions<T extends TopicName, DB> {
  groupId: string;
  topic: T;
  db: Kysely<DB & BusTables>;
  handler: (event: TopicEvents[T], context: HandlerContext<DB>) => Promise<void>;
  /** Attempts before dead-lettering (default 3), first delay doubled each time (default 200 ms). */
  retry?: { attempts?: number; baseDelayMs?: number };
  fromBeginning?: boolean;
  /** Called after the effects committed and before the offset is committed; `duplicate` when the event id was seen before. */
  afterCommit?: (event: TopicEvents[T], outcome: { duplicate: boolean }) => void;
  onDeadLetter?: (message: IncomingMessage, error: { code: string; message: string; attempts: number }) => void;
}

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
    return {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      correlation_id: correlationId,
      producer: this.producer,
      schema_version: this.registry.latest(topic).version,
      ...body,
    } as TopicEvents[T];
  }

  /**
   * Encodes and addresses an event; the key defaults to its correlation id, so
   * one run stays in order. The active trace context goes into the headers.
   */
  message<T extends TopicName>(topic: T, event: TopicEvents[T], key?: string): OutgoingMessage {
    const schema = this.registry.latest(topic);
    return {
      topic,
      key: key ?? event.correlation_id,
      value: this.registry.encode(topic, event),
      headers: {
        [HEADER.eventId]: event.event_id,
        [HEADER.contentType]: AVRO_SINGLE_OBJECT,
        [HEADER.fingerprint]: schema.fingerprint.toString(16).padStart(16, '0'),
        [HEADER.correlationId]: event.correlation_id,
        [HEADER.producer]: event.producer,
        ...injectTraceContext({}),
      },
    };
  }

  /** Sends at once; for producers without a database (generators, CLIs). */
  async publish<T extends TopicName>(topic: T, event: TopicEvents[T], key?: string): Promise<void> {
    await producerSpan(topic, () => this.transport.send([this.message(topic, event, key)]));
    this.metrics?.produced.inc({ topic });
  }

  /**
   * Stages an event in the outbox inside the caller's transaction: it leaves
   * if and only if the caller's effects commit. Encoding happens here, so an
   * invalid event fails the transaction instead of reaching the relay.
   */
  async enqueue<T extends TopicName, DB extends BusTables>(
    trx: Transaction<DB> | Kysely<DB>,
    topic: T,
    event: TopicEvents[T],
    key?: string,
  ): Promise<void> {
    const message = this.message(topic, event, key);
    await (trx as unknown as Kysely<BusTables>)
      .insertInto('exp.outbox')
      .values({ producer: this.producer, topic, message_key: message.key, payload: message.value, headers: message.headers })
      .execute();
  }

  relay<DB extends BusTables>(
    db: Kysely<DB>,
    options: { batchSize?: number; idleDelayMs?: number; onError?: (error: unknown) => void } = {},
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
    const attempts = options.retry?.attempts ?? 3;
    const baseDelayMs = options.retry?.baseDelayMs ?? 200;
    const db = options.db as unknown as Kysely<BusTables>;

    const deadLetter = async (message: IncomingMessage, code: string, text: string, tried: number) => {
      await this.transport.send([
        {
          topic: deadLetterTopic(message.topic),
          key: message.key?.toString() ?? null,
          value: message.value ?? Buffer.alloc(0),
          headers: {
            ...message.headers,
            [DLT_HEADER.originalTopic]: message.topic,
            [DLT_HEADER.originalPartition]: String(message.partition),
            [DLT_HEADER.originalOffset]: message.offset,
            [DLT_HEADER.originalTimestamp]: message.timestamp,
            [DLT_HEADER.consumerGroup]: options.groupId,
            [DLT_HEADER.errorCode]: code,
            [DLT_HEADER.errorMessage]: text.slice(0, 2000),
            [DLT_HEADER.attempts]: String(tried),
            [DLT_HEADER.failedAt]: new Date().toISOString(),
          },
        },
      ]);
      this.metrics?.deadLettered.inc({ topic: message.topic, code });
      this.metrics?.consumed.inc({ topic: message.topic, outcome: 'dead_lettered' });
      options.onDeadLetter?.(message, { code, message: text, attempts: tried });
    };

    const handle = (message: IncomingMessage): Promise<void> => {
      const started = performance.now();
      const attributes = {
        'messaging.kafka.consumer.group': options.groupId,
        'messaging.kafka.partition': message.partition,
        'messaging.kafka.offset': message.offset,
      };
      return consumerSpan(message.topic, message.headers, message.headers[HEADER.correlationId], attributes, () =>
        process(message),
      ).finally(() => this.metrics?.handlerDuration.observe({ topic: message.topic }, (performance.now() - started) / 1000));
    };

    const process = async (message: IncomingMessage): Promise<void> => {
      if (!message.value || message.value.length === 0) return deadLetter(message, 'MESSAGE_EMPTY', 'message has no value', 0);
      let event: TopicEvents[T];
      try {
        event = this.registry.decode(options.topic, message.value).value as TopicEvents[T];
      } catch (error) {
        if (error instanceof SchemaError) return deadLetter(message, error.code, error.message, 0);
        throw error;
      }

      for (let attempt = 1; ; attempt++) {
        try {
          const claimed = await db.transaction().execute(async (trx) => {
            const inserted = await trx
              .insertInto('exp.processed_events')
              .values({
                consumer_group: options.groupId,
                event_id: event.event_id,
                topic: message.topic,
                partition: message.partition,
                offset: Number(message.offset),
              })
              .onConflict((oc) => oc.columns(['consumer_group', 'event_id']).doNothing())
              .executeTakeFirst();
            if (inserted.numInsertedOrUpdatedRows === 0n) return false;
            await options.handler(event, { trx: trx as unknown as Transaction<DB & BusTables>, message, attempt });
            return true;
          });
          this.metrics?.consumed.inc({ topic: message.topic, outcome: claimed ? 'processed' : 'duplicate' });
          options.afterCommit?.(event, { duplicate: !claimed });
          return;
        } catch (error) {
          this.metrics?.handlerFailures.inc({ topic: message.topic });
          const code = error instanceof CodedError ? error.code : 'HANDLER_FAILED';
          const text = error instanceof Error ? error.message : String(error);
          if (error instanceof EventRejected || attempt >= attempts) return deadLetter(message, code, text, attempt);
          await sleep(baseDelayMs * 2 ** (attempt - 1));
        }
      }
    };

    this.metrics?.trackLag(() => this.transport.consumerLag(options.groupId, [options.topic]));
    return this.transport.consume({
      groupId: options.groupId,
      topics: [options.topic],
      fromBeginning: options.fromBeginning ?? true,
      handle,
    });
  }
}
