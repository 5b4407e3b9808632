import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError, isTransient } from '@planner/errors';
import { envelopeProblems, SchemaError, type SchemaRegistry, type TopicEvents, type TopicName } from '@planner/schemas';
import { type BusMetrics, consumerSpan } from '@planner/telemetry';
import { type Kysely, sql, type Transaction } from 'kysely';
import { BusError, EventRejected, TransportError } from './bus-error.ts';
import type { BusTables } from './bus-tables.ts';
import { DLT_HEADER, deadLetterTopic } from './headers.ts';
import type { IncomingMessage, MessageTransport, OutgoingMessage } from './transport.ts';

export interface HandlerContext<DB> {
  /** The transaction the event id is recorded in: write the handler's effects here. */
  trx: Transaction<DB & BusTables>;
  /**
   * Scratch space shared by every event of this transaction: a handler may
   * gather its effects here and let `beforeCommit` write them together.
   */
  batch: Map<string, unknown>;
  message: IncomingMessage;
  attempt: number;
}

export interface RetryPolicy {
  /** Attempts at a handler that fails with a permanent error before dead-lettering (default 3). */
  attempts?: number;
  /** First delay between attempts, doubled each time up to 5 s (default 200 ms). */
  baseDelayMs?: number;
  /**
   * How long a handler that fails because a dependency is unavailable (MLflow,
   * S3, a policy server) is retried before its event is dead-lettered (default
   * 10 minutes). PostgreSQL and Kafka being away never dead-letters anything:
   * the partition waits until they are back.
   */
  transientBudgetMs?: number;
}

export interface SubscribeOptions<T extends TopicName, DB> {
  groupId: string;
  topic: T;
  db: Kysely<DB & BusTables>;
  handler: (event: TopicEvents[T], context: HandlerContext<DB>) => Promise<void>;
  retry?: RetryPolicy;
  fromBeginning?: boolean;
  /** Most messages handled in one transaction (default 1000); 1 for slow handlers. */
  maxBatchSize?: number;
  /** Partitions handled at once by this member (default 3): a handler that mostly waits (a remote call) can take many. */
  partitionsInParallel?: number;
  /**
   * Called once per transaction after the handler ran for each of its new
   * events, before the commit: writes what they gathered in `batch`. A failure
   * counts as the handler's (the events are then handled one at a time).
   */
  beforeCommit?: (context: { trx: Transaction<DB & BusTables>; batch: Map<string, unknown> }) => Promise<void>;
  /** Called after the effects committed and before the offset is committed; `duplicate` when the event id was seen before. */
  afterCommit?: (event: TopicEvents[T], outcome: { duplicate: boolean }) => void;
  onDeadLetter?: (message: IncomingMessage, error: { code: string; message: string; attempts: number; eventId?: string }) => void;
  /** Called each time the partition waits for a dependency to come back. */
  onWait?: (message: IncomingMessage, error: unknown, waitMs: number) => void;
}

interface Decoded<T extends TopicName> {
  message: IncomingMessage;
  event: TopicEvents[T];
}

/** A handler's own failure, told apart from the bus's (the inbox write, the transaction itself). */
class HandlerFailed extends Error {}

/** The consumer stopped (or lost the partition) while waiting: the messages come again, nothing is decided about them. */
function isStopping(error: unknown): boolean {
  return error instanceof BusError && error.code === 'CONSUMER_STOPPING';
}

const MAX_DELAY_MS = 5000;
const DEFAULT_TRANSIENT_BUDGET_MS = 10 * 60 * 1000;
/** Bytes of an uncopyable message kept in its dead-letter record, for a person to recognise it. */
const HEAD_BYTES = 64;

function describe(error: unknown): { code: string; text: string } {
  return {
    code: error instanceof CodedError ? error.code : 'HANDLER_FAILED',
    text: error instanceof Error ? error.message : String(error),
  };
}

/** The inbox key that records "the message at this position was dead-lettered", so a redelivery does not send it again. */
function deadLetteredKey(message: IncomingMessage): string {
  return `${deadLetteredPrefix(message.topic, message.partition)}${message.offset}`;
}

/** The dead-lettered key of a position without its offset. */
function deadLetteredPrefix(topic: string, partition: number): string {
  return `dead-lettered:${topic}/${partition}/`;
}

/**
 * Processes messages so that each event's effects happen once: the event id is
 * inserted into exp.processed_events in the same transaction as the handler's
 * writes. A batch of messages shares one transaction; if any handler fails, the
 * batch rolls back and its messages are redone one by one. Failures are
 * sorted by what retrying can do:
 * - a message that does not decode, at any byte, is dead-lettered once, at once;
 * - PostgreSQL or Kafka unavailable: the partition waits (with backoff) and
 *   goes on where it was once they are back; nothing is dead-lettered;
 * - a handler failing on an unavailable dependency: retried for the transient
 *   budget, then dead-lettered with the reason;
 * - a handler failing otherwise: a few attempts, then dead-lettered.
 */
export class IdempotentConsumer<T extends TopicName, DB> {
  readonly #options: SubscribeOptions<T, DB>;
  readonly #db: Kysely<BusTables>;
  readonly #transport: MessageTransport;
  readonly #registry: SchemaRegistry;
  readonly #metrics: BusMetrics | undefined;
  /** Waits for PostgreSQL or Kafka so far; the transient budget restarts after one. */
  #unavailableWaits = 0;

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

  readonly handleBatch = async (messages: IncomingMessage[], signal: AbortSignal): Promise<void> => {
    const decoded: Decoded<T>[] = [];
    for (const message of messages) {
      const event = await this.#decode(message, signal);
      if (event) decoded.push({ message, event });
    }
    if (decoded.length === 0) return;
    let outcomes: boolean[];
    try {
      outcomes = await this.#untilAvailable(decoded[0]?.message as IncomingMessage, signal, () =>
        this.#db.transaction().execute((trx) => this.#processTogether(trx, decoded)),
      );
    } catch (error) {
      if (isStopping(error)) throw error;
      // A handler failed, or the database refused a row, and the shared transaction rolled back: redo one by one.
      for (const item of decoded) await this.#processAlone(item, signal);
      return;
    }
    for (const [i, item] of decoded.entries()) this.#committed(item, outcomes[i] === true);
  };

  /** The event, or undefined when the message was dead-lettered because it is not one. */
  async #decode(message: IncomingMessage, signal: AbortSignal): Promise<TopicEvents[T] | undefined> {
    if (!message.value || message.value.length === 0) {
      await this.#deadLetterOnce(message, 'MESSAGE_EMPTY', 'message has no value', 0, signal);
      return undefined;
    }
    let event: TopicEvents[T];
    try {
      event = this.#registry.decode(this.#options.topic, message.value).value as TopicEvents[T];
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      await this.#deadLetterOnce(message, error.code, error.message, 0, signal);
      return undefined;
    }
    const problems = envelopeProblems(event as unknown as Record<string, unknown>);
    if (problems.length > 0) {
      await this.#deadLetterOnce(message, 'EVENT_ENVELOPE_INVALID', problems.join('; '), 0, signal);
      return undefined;
    }
    return event;
  }

  /** One transaction for the batch; returns, per message, whether it was new. */
  async #processTogether(trx: Transaction<BusTables>, items: Decoded<T>[]): Promise<boolean[]> {
    const { groupId } = this.#options;
    // A batch is consecutive messages of one partition: its topic and partition travel once, and only the event ids and
    // offsets as arrays, so the statement is parsed and planned once whatever the batch size and carries little more
    // than the ids (five arrays per batch took a third of its time to write and parse).
    // The dead-letter guard builds its keys from the offsets and looks them up with `= any(...)`, an index probe
    // whatever the statistics say. Written as an anti-join, a planner without statistics hashed the group's whole inbox
    // for every batch: against an inbox of 200,000, 92 ms per 1,000 events, against 20 ms with this lookup.
    const { topic, partition } = (items[0] as Decoded<T>).message;
    const { rows: claimed } = await sql<{ event_id: string }>`
      with batch as (
        select t.event_id, t.offset, ${deadLetteredPrefix(topic, partition)}::text || t.offset as dead_lettered_key
        from unnest(${items.map((i) => i.event.event_id)}::text[], ${items.map((i) => i.message.offset)}::bigint[])
          as t(event_id, "offset")
      ), dead_lettered as (
        select d.event_id from exp.processed_events d
        where d.consumer_group = ${groupId} and d.event_id = any(array(select dead_lettered_key from batch))
      )
      insert into exp.processed_events (consumer_group, event_id, topic, partition, "offset")
      select ${groupId}, b.event_id, ${topic}, ${partition}::integer, b.offset
      from batch b
      -- A message dead-lettered at its position before (then redelivered) is neither claimed nor handled again.
      where b.dead_lettered_key not in (select event_id from dead_lettered)
      on conflict (consumer_group, event_id) do nothing
      returning event_id`.execute(trx);
    const fresh = new Set(claimed.map((row) => row.event_id));
    const outcomes: boolean[] = [];
    const batch = new Map<string, unknown>();
    for (const item of items) {
      // The same event twice in one batch: only its first occurrence is new.
      const isNew = fresh.delete(item.event.event_id);
      if (isNew) await this.#handle(trx, item, 1, batch);
      outcomes.push(isNew);
    }
    await this.#beforeCommit(trx, batch);
    return outcomes;
  }

  async #handle(trx: Transaction<BusTables>, { message, event }: Decoded<T>, attempt: number, batch: Map<string, unknown>): Promise<void> {
    try {
      await this.#traced(message, event.correlation_id, () =>
        this.#options.handler(event, { trx: trx as unknown as Transaction<DB & BusTables>, message, attempt, batch }),
      );
    } catch (error) {
      throw new HandlerFailed('handler failed', { cause: error });
    }
  }

  async #beforeCommit(trx: Transaction<BusTables>, batch: Map<string, unknown>): Promise<void> {
    try {
      await this.#options.beforeCommit?.({ trx: trx as unknown as Transaction<DB & BusTables>, batch });
      // Deferred constraints are checked now rather than at COMMIT, so a rule the handler's effects break counts as
      // the handler's failure (retried, then dead-lettered with the rule's message), not as an unwritable inbox row.
      await sql`set constraints all immediate`.execute(trx);
    } catch (error) {
      throw new HandlerFailed('handler failed', { cause: error });
    }
  }

  async #processAlone(item: Decoded<T>, signal: AbortSignal): Promise<void> {
    const { groupId } = this.#options;
    const { message, event } = item;
    const attempts = this.#options.retry?.attempts ?? 3;
    const baseDelayMs = this.#options.retry?.baseDelayMs ?? 200;
    const budgetMs = this.#options.retry?.transientBudgetMs ?? DEFAULT_TRANSIENT_BUDGET_MS;
    // The budget counts time the handler's own dependency was away; waiting for PostgreSQL or Kafka restarts it.
    let transientSince: number | undefined;
    let permanentFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const waitsBefore = this.#unavailableWaits;
      try {
        const outcome = await this.#untilAvailable(message, signal, () =>
          this.#db.transaction().execute(async (trx) => {
            // Dead-lettered at this position before (then redelivered): it is not handled or sent again.
            if (await this.#recorded(trx, deadLetteredKey(message))) return 'duplicate' as const;
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
            if (inserted.numInsertedOrUpdatedRows === 0n) return 'duplicate' as const;
            const batch = new Map<string, unknown>();
            await this.#handle(trx, item, attempt, batch);
            await this.#beforeCommit(trx, batch);
            return 'processed' as const;
          }),
        );
        this.#committed(item, outcome === 'processed');
        return;
      } catch (error) {
        if (isStopping(error)) throw error;
        if (!(error instanceof HandlerFailed)) {
          // Not the handler, not an outage: the database refused this event's own row (a NUL in its id, say). It can
          // never be recorded, so it is set aside rather than retried until the partition starves.
          const { text } = describe(error);
          return this.#deadLetterOnce(message, 'INBOX_WRITE_FAILED', text, attempt, signal, event.event_id);
        }
        const cause = error.cause;
        this.#metrics?.handlerFailures.inc({ topic: message.topic });
        const { code, text } = describe(cause);
        if (cause instanceof EventRejected) return this.#deadLetterOnce(message, code, text, attempt, signal, event.event_id);
        if (isTransient(cause)) {
          if (this.#unavailableWaits !== waitsBefore || transientSince === undefined) transientSince = Date.now();
          if (Date.now() - transientSince >= budgetMs) {
            const budget = `still failing after the ${budgetMs / 1000} s budget for unavailable dependencies`;
            return this.#deadLetterOnce(message, code, `${text} (${budget})`, attempt, signal, event.event_id);
          }
          await this.#wait(message, cause, Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (attempt - 1)), signal);
          continue;
        }
        permanentFailures++;
        if (permanentFailures >= attempts) return this.#deadLetterOnce(message, code, text, attempt, signal, event.event_id);
        await this.#wait(message, undefined, Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (permanentFailures - 1)), signal);
      }
    }
  }

  /**
   * Runs `operation` until it succeeds or fails for a reason other than
   * PostgreSQL or Kafka being unavailable; while they are, waits with backoff
   * (the partition holds its place). Handler failures pass straight through.
   */
  async #untilAvailable<R>(message: IncomingMessage, signal: AbortSignal, operation: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (error instanceof HandlerFailed || !isTransient(error)) throw error;
        this.#unavailableWaits++;
        await this.#wait(message, error, Math.min(MAX_DELAY_MS, 200 * 2 ** (attempt - 1)), signal);
      }
    }
  }

  async #wait(message: IncomingMessage, cause: unknown, ms: number, signal: AbortSignal): Promise<void> {
    if (cause !== undefined) {
      this.#metrics?.dependencyWaits.inc({ topic: message.topic });
      this.#options.onWait?.(message, cause, ms);
    }
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      throw new BusError('CONSUMER_STOPPING', `stopped while waiting to retry ${message.topic}/${message.partition}@${message.offset}`);
    }
  }

  async #recorded(db: Kysely<BusTables> | Transaction<BusTables>, key: string): Promise<boolean> {
    const row = await db
      .selectFrom('exp.processed_events')
      .select('event_id')
      .where('consumer_group', '=', this.#options.groupId)
      .where('event_id', '=', key)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Runs a handler call in a consumer span continuing the sender's trace, and times it. */
  async #traced(message: IncomingMessage, correlationId: string, fn: () => Promise<void>): Promise<void> {
    const started = performance.now();
    const attributes = {
      'messaging.kafka.consumer.group': this.#options.groupId,
      'messaging.kafka.partition': message.partition,
      'messaging.kafka.offset': message.offset,
    };
    try {
      await consumerSpan(message.topic, message.headers, correlationId, attributes, fn);
    } finally {
      this.#metrics?.handlerDuration.observe({ topic: message.topic }, (performance.now() - started) / 1000);
    }
  }

  #committed({ message, event }: Decoded<T>, isNew: boolean): void {
    this.#metrics?.consumed.inc({ topic: message.topic, outcome: isNew ? 'processed' : 'duplicate' });
    this.#options.afterCommit?.(event, { duplicate: !isNew });
  }

  /**
   * Sends the message to `<topic>.dlt` unless this group dead-lettered the
   * same position before (a redelivery after a crash or rebalance), then
   * records that it did. Sending before recording: a crash between the two
   * sends one duplicate letter, never loses one.
   */
  async #deadLetterOnce(
    message: IncomingMessage,
    code: string,
    text: string,
    attempts: number,
    signal: AbortSignal,
    eventId?: string,
  ): Promise<void> {
    const key = deadLetteredKey(message);
    if (await this.#untilAvailable(message, signal, () => this.#recorded(this.#db, key))) {
      this.#metrics?.consumed.inc({ topic: message.topic, outcome: 'duplicate' });
      return;
    }
    await this.#untilAvailable(message, signal, () => this.#sendDeadLetter(message, code, text, attempts, eventId));
    await this.#untilAvailable(message, signal, () =>
      this.#db
        .insertInto('exp.processed_events')
        .values({
          consumer_group: this.#options.groupId,
          event_id: key,
          topic: message.topic,
          partition: message.partition,
          offset: Number(message.offset),
        })
        .onConflict((oc) => oc.columns(['consumer_group', 'event_id']).doNothing())
        .execute(),
    );
    this.#metrics?.deadLettered.inc({ topic: message.topic, code });
    this.#metrics?.consumed.inc({ topic: message.topic, outcome: 'dead_lettered' });
    this.#options.onDeadLetter?.(message, { code, message: text, attempts, ...(eventId ? { eventId } : {}) });
  }

  /**
   * The whole message with headers saying where it came from and why; when the
   * broker refuses the copy (the original was already near its size limit), a
   * record of it instead: origin, size, SHA-256 and first bytes, value omitted.
   */
  async #sendDeadLetter(message: IncomingMessage, code: string, text: string, attempts: number, eventId?: string): Promise<void> {
    const origin = {
      ...(eventId ? { [DLT_HEADER.eventId]: eventId } : {}),
      [DLT_HEADER.originalTopic]: message.topic,
      [DLT_HEADER.originalPartition]: String(message.partition),
      [DLT_HEADER.originalOffset]: message.offset,
      [DLT_HEADER.originalTimestamp]: message.timestamp,
      [DLT_HEADER.consumerGroup]: this.#options.groupId,
      [DLT_HEADER.errorCode]: code,
      [DLT_HEADER.errorMessage]: text.slice(0, 2000),
      [DLT_HEADER.attempts]: String(attempts),
      [DLT_HEADER.failedAt]: new Date().toISOString(),
    };
    const topic = deadLetterTopic(message.topic);
    const key = message.key?.toString() ?? null;
    const copy: OutgoingMessage = { topic, key, value: message.value ?? Buffer.alloc(0), headers: { ...message.headers, ...origin } };
    try {
      await this.#transport.send([copy]);
    } catch (error) {
      if (!(error instanceof TransportError) || error.code !== 'MESSAGE_REFUSED') throw error;
      const value = message.value ?? Buffer.alloc(0);
      await this.#transport.send([
        {
          topic,
          key: key !== null && key.length <= 256 ? key : null,
          value: Buffer.alloc(0),
          headers: {
            ...origin,
            [DLT_HEADER.valueOmitted]: 'true',
            [DLT_HEADER.originalSize]: String(value.length),
            [DLT_HEADER.originalSha256]: createHash('sha256').update(value).digest('hex'),
            [DLT_HEADER.originalHead]: value.subarray(0, HEAD_BYTES).toString('hex'),
            [DLT_HEADER.copyRefused]: error.message.slice(0, 500),
          },
        },
      ]);
    }
  }
}
