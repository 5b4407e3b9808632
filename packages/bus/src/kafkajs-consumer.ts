import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import type { ConsumeOptions, ConsumerHealth, Consumption, Headers, IncomingMessage, TransportLog } from './transport.ts';

/**
 * Messages handed to the consumer at once: one database transaction each. The
 * transaction's fixed cost (BEGIN, COMMIT and its WAL flush) is what bounds the
 * idempotent consumer, so batches are as large as a fetch usually brings.
 */
const MAX_HANDLED_TOGETHER = 1000;
const PARTITIONS_IN_PARALLEL = 3;
/** While a handler runs, heartbeat this often, so a long wait (an outage) does not cost the member its partitions. */
const HEARTBEAT_EVERY_MS = 1000;
/** A member that has neither fetched nor been inside a handler for this long is stuck (e.g. the broker is gone). */
const STALLED_AFTER_MS = 30_000;
/** Between attempts to replace a crashed consumer; the ceiling bounds how long a member stays out after its broker is back. */
const RESTART_DELAY_MS = { first: 1000, max: 10_000 };

export function readHeaders(headers: IHeaders | undefined): Headers {
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

interface SupervisedOptions extends ConsumeOptions {
  /** The group and topics as the broker names them (namespace applied). */
  physicalGroup: string;
  physicalTopics: string[];
  logical(topic: string): string;
  log: TransportLog;
}

/**
 * One consumer-group member that keeps itself alive. kafkajs restarts a
 * consumer after a retriable crash only; after any other (a coordinator not
 * found once its retries ran out, a broker away for longer than the retries
 * last) the consumer stays dead while the process runs on. This member
 * replaces a crashed consumer with a new one, with backoff, until stopped, and
 * reports its health for /readyz.
 */
export class SupervisedConsumer implements Consumption {
  readonly #kafka: Kafka;
  readonly #options: SupervisedOptions;
  #consumer: Consumer | undefined;
  #stopping = false;
  #restarting: Promise<void> | undefined;
  #crashed: string | undefined;
  #lastFetchAt = 0;
  #handling = 0;

  constructor(kafka: Kafka, options: SupervisedOptions) {
    this.#kafka = kafka;
    this.#options = options;
  }

  /** Joins the group; resolves at the first fetch, from when the start offsets are fixed. */
  async start(): Promise<void> {
    await this.#run();
  }

  health(): ConsumerHealth {
    if (this.#crashed !== undefined) return { healthy: false, reason: `consumer ${this.#options.groupId} crashed: ${this.#crashed}` };
    if (this.#handling === 0 && Date.now() - this.#lastFetchAt > STALLED_AFTER_MS) {
      return { healthy: false, reason: `consumer ${this.#options.groupId} has not fetched for ${STALLED_AFTER_MS / 1000} s` };
    }
    return { healthy: true };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#restarting;
    // disconnect() lets the batch in hand finish (or give up, see the abort signal), commits, then leaves the group.
    await this.#consumer?.disconnect();
  }

  async #run(): Promise<void> {
    const consumer = this.#kafka.consumer({
      groupId: this.#options.physicalGroup,
      sessionTimeout: 15_000,
      heartbeatInterval: HEARTBEAT_EVERY_MS,
      // How long an empty fetch waits on the broker. A message ends the wait at once, so this
      // bounds only idle polling and how long joining (first fetch) and leaving take: the
      // default 5 s made every consumer start and stop take 5 s.
      maxWaitTimeInMs: 1_000,
    });
    this.#consumer = consumer;
    let fetched = false;
    let failStart: (error: Error) => void = () => undefined;
    const fetching = new Promise<void>((resolve, reject) => {
      failStart = reject;
      consumer.on(consumer.events.FETCH, () => {
        this.#lastFetchAt = Date.now();
        this.#crashed = undefined;
        fetched = true;
        resolve();
      });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.#crashed = payload.error.message;
      // kafkajs restarts by itself after a retriable crash (a coordinator still loading on a fresh broker): the start
      // goes on waiting for the first fetch. Any other crash before it fails this start (the caller, or the restart
      // loop, decides what next); after it, this member restarts the consumer.
      if (payload.restart) return;
      if (!fetched) failStart(payload.error);
      else if (!this.#stopping) this.#restartAfterCrash(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.#options.physicalTopics, fromBeginning: this.#options.fromBeginning });
      await consumer.run({
        // Offsets are resolved only after handleBatch resolved, and committed every second,
        // every 100 messages and when leaving the group: at-least-once, without a broker
        // round trip per message.
        autoCommit: true,
        autoCommitInterval: 1000,
        autoCommitThreshold: 100,
        // Partitions are independent: handle a few at once (order holds within each).
        partitionsConsumedConcurrently: this.#options.partitionsInParallel ?? PARTITIONS_IN_PARALLEL,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      await fetching;
    } catch (error) {
      // Also cancels a restart kafkajs may have scheduled: one consumer per member at a time.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  #restartAfterCrash(crashed: Consumer): void {
    this.#restarting ??= (async () => {
      await crashed.disconnect().catch(() => undefined);
      for (let delay = RESTART_DELAY_MS.first; !this.#stopping; delay = Math.min(delay * 2, RESTART_DELAY_MS.max)) {
        await sleep(delay);
        if (this.#stopping) break;
        try {
          await this.#run();
          this.#options.log('warn', 'consumer restarted after a crash', { group: this.#options.groupId });
          break;
        } catch (error) {
          this.#crashed = (error as Error).message;
          this.#options.log('error', 'consumer restart failed; trying again', {
            group: this.#options.groupId,
            error: this.#crashed,
            delay,
          });
        }
      }
    })().finally(() => {
      this.#restarting = undefined;
    });
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const size = this.#options.maxBatchSize ?? MAX_HANDLED_TOGETHER;
    for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += size) {
      const chunk = batch.messages.slice(i, i + size);
      const messages: IncomingMessage[] = chunk.map((message) => ({
        topic: this.#options.logical(batch.topic),
        partition: batch.partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: message.key,
        value: message.value,
        headers: readHeaders(message.headers),
      }));
      const abort = new AbortController();
      const beat = setInterval(() => {
        if (!isRunning() || isStale()) abort.abort();
        else heartbeat().catch(() => undefined);
      }, HEARTBEAT_EVERY_MS);
      this.#handling++;
      try {
        await this.#options.handleBatch(messages, abort.signal);
      } catch (error) {
        // Stopping or rebalanced while waiting out an outage: these messages come again to whoever owns the partition.
        if (abort.signal.aborted) return;
        throw error;
      } finally {
        this.#handling--;
        clearInterval(beat);
      }
      resolveOffset((chunk.at(-1) as { offset: string }).offset);
      await heartbeat();
    }
  }
}
