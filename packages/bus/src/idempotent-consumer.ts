import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '@planner/errors';
import { SchemaError, type SchemaRegistry, type TopicEvents, type TopicName } from '@planner/schemas';
import { type BusMetrics, consumerSpan } from '@planner/telemetry';
import { type Kysely, sql, type Transaction } from 'kysely';
import { EventRejected } from './bus-error.ts';
import type { BusTables } from './bus-tables.ts';
import { DLT_HEADER, deadLetterTopic, HEADER } from './headers.ts';
import type { IncomingMessage, MessageTransport } from './transport.ts';

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
  /** Most messages handled in one transaction (default 1000); 1 for slow handlers. */
  maxBatchSize?: number;
  /** Called after the effects committed and before the offset is committed; `duplicate` when the event id was seen before. */
  afterCommit?: (event: TopicEvents[T], outcome: { duplicate: boolean }) => void;
  onDeadLetter?: (message: IncomingMessage, error: { code: string; message: string; attempts: number }) => void;
}

interface Decoded<T extends TopicName> {
  message: IncomingMessage;
  event: TopicEvents[T];
}

/**
 * Processes messages so that each event's effects happen once: the event id is
 * inserted into exp.processed_events in the same transaction as the handler's
 * writes. A batch of messages shares one transaction; if any handler fails, the
 * batch rolls back and its messages are redone one by one, each with bounded
 * retries and, at the end, the dead-letter topic.
 */
export class IdempotentConsumer<T extends TopicName, DB> {
  readonly #options: SubscribeOptions<T, DB>;
  readonly #db: Kysely<BusTables>;
  readonly #transport: MessageTransport;
  readonly #registry: SchemaRegistry;
  readonly #metrics: BusMetrics | undefined;

  constructor(
    deps: { transport: MessageTransport; registry: SchemaRegistry; metrics: BusMetrics | undefined },
    options: SubscribeOptions<T, DB>,
  ) {
    this.#options = options;
    this.#db = options.db as unknown as Kysely<BusTables>;
    this.#transport = deps.transport;
    this.#registry = deps.registry;
    this.#metrics = deps.metrics;
  }

  readonly handleBatch = async (messages: IncomingMessage[]): Promise<void> => {
    const decoded: Decoded<T>[] = [];
    for (const message of messages) {
      const event = await this.#decode(message);
      if (event) decoded.push({ message, event });
    }
    if (decoded.length === 0) return;
    let outcomes: boolean[];
    try {
      outcomes = await this.#db.transaction().execute((trx) => this.#processTogether(trx, decoded));
    } catch {
      // A handler failed and the shared transaction rolled back: redo one by one.
      for (const item of decoded) await this.#processAlone(item);
      return;
    }
    for (const [i, item] of decoded.entries()) this.#committed(item, outcomes[i] === true);
  };

  async #decode(message: IncomingMessage): Promise<TopicEvents[T] | undefined> {
    if (!message.value || message.value.length === 0) {
      await this.#deadLetter(message, 'MESSAGE_EMPTY', 'message has no value', 0);
      return undefined;
    }
    try {
      return this.#registry.decode(this.#options.topic, message.value).value as TopicEvents[T];
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      await this.#deadLetter(message, error.code, error.message, 0);
      return undefined;
    }
  }

  /** One transaction for the batch; returns, per message, whether it was new. */
  async #processTogether(trx: Transaction<BusTables>, items: Decoded<T>[]): Promise<boolean[]> {
    const { groupId } = this.#options;
    // One statement with four array parameters rather than five parameters per row:
    // PostgreSQL parses and plans it once, whatever the batch size.
    const { rows: claimed } = await sql<{ event_id: string }>`
      insert into exp.processed_events (consumer_group, event_id, topic, partition, "offset")
      select ${groupId}, t.event_id, t.topic, t.partition, t.offset
      from unnest(
        ${items.map((i) => i.event.event_id)}::text[],
        ${items.map((i) => i.message.topic)}::text[],
        ${items.map((i) => i.message.partition)}::integer[],
        ${items.map((i) => i.message.offset)}::bigint[]
      ) as t(event_id, topic, partition, "offset")
      on conflict (consumer_group, event_id) do nothing
      returning event_id`.execute(trx);
    const fresh = new Set(claimed.map((row) => row.event_id));
    const outcomes: boolean[] = [];
    for (const item of items) {
      // The same event twice in one batch: only its first occurrence is new.
      const isNew = fresh.delete(item.event.event_id);
      if (isNew)
        await this.#traced(item.message, () =>
          this.#options.handler(item.event, { trx: trx as unknown as Transaction<DB & BusTables>, message: item.message, attempt: 1 }),
        );
      outcomes.push(isNew);
    }
    return outcomes;
  }

  async #processAlone({ message, event }: Decoded<T>): Promise<void> {
    const { groupId, handler } = this.#options;
    const attempts = this.#options.retry?.attempts ?? 3;
    const baseDelayMs = this.#options.retry?.baseDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        const isNew = await this.#db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto('exp.processed_events')
            .values({
              consumer_group: groupId,
              event_id: event.event_id,
              topic: message.topic,
              partition: message.partition,
              offset: Number(message.offset),
            })
            .onConflict((oc) => oc.columns(['consumer_group', 'event_id']).doNothing())
            .executeTakeFirst();
          if (inserted.numInsertedOrUpdatedRows === 0n) return false;
          await this.#traced(message, () => handler(event, { trx: trx as unknown as Transaction<DB & BusTables>, message, attempt }));
          return true;
        });
        this.#committed({ message, event }, isNew);
        return;
      } catch (error) {
        this.#metrics?.handlerFailures.inc({ topic: message.topic });
        const code = error instanceof CodedError ? error.code : 'HANDLER_FAILED';
        const text = error instanceof Error ? error.message : String(error);
        if (error instanceof EventRejected || attempt >= attempts) return this.#deadLetter(message, code, text, attempt);
        await sleep(baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** Runs a handler call in a consumer span continuing the sender's trace, and times it. */
  async #traced(message: IncomingMessage, fn: () => Promise<void>): Promise<void> {
    const started = performance.now();
    const attributes = {
      'messaging.kafka.consumer.group': this.#options.groupId,
      'messaging.kafka.partition': message.partition,
      'messaging.kafka.offset': message.offset,
    };
    try {
      await consumerSpan(message.topic, message.headers, message.headers[HEADER.correlationId], attributes, fn);
    } finally {
      this.#metrics?.handlerDuration.observe({ topic: message.topic }, (performance.now() - started) / 1000);
    }
  }

  #committed({ message, event }: Decoded<T>, isNew: boolean): void {
    this.#metrics?.consumed.inc({ topic: message.topic, outcome: isNew ? 'processed' : 'duplicate' });
    this.#options.afterCommit?.(event, { duplicate: !isNew });
  }

  async #deadLetter(message: IncomingMessage, code: string, text: string, attempts: number): Promise<void> {
    await this.#transport.send([
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
          [DLT_HEADER.consumerGroup]: this.#options.groupId,
          [DLT_HEADER.errorCode]: code,
          [DLT_HEADER.errorMessage]: text.slice(0, 2000),
          [DLT_HEADER.attempts]: String(attempts),
          [DLT_HEADER.failedAt]: new Date().toISOString(),
        },
      },
    ]);
    this.#metrics?.deadLettered.inc({ topic: message.topic, code });
    this.#metrics?.consumed.inc({ topic: message.topic, outcome: 'dead_lettered' });
    this.#options.onDeadLetter?.(message, { code, message: text, attempts });
  }
}
