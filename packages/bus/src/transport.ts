/**
 * The one port between the bus and a Kafka client. Everything the services do
 * with Kafka goes through these few calls, so the client (kafkajs today) can
 * be swapped without touching them.
 */
import type { PartitionLag } from '@planner/telemetry';

export type Headers = Record<string, string>;

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  /** Where to put it; absent: the key's partition. */
  partition?: number;
  value: Buffer;
  headers: Headers;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp, epoch milliseconds as a string (as Kafka clients give it). */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

export interface ConsumeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /** Most messages handed to handleBatch at once (default 1000); 1 for slow handlers. */
  maxBatchSize?: number;
  /** Partitions handled at once by this member (default 3); order holds within each. */
  partitionsInParallel?: number;
  /**
   * Called with consecutive messages of one partition, in order. When it
   * resolves their offsets are marked for the next commit (soon, and always
   * before leaving the group); when it rejects they are delivered again. The
   * member stays in its group however long the call takes; `signal` aborts
   * when the consumer stops or loses the partition, so a call waiting out an
   * outage can give up (and its messages are delivered again later).
   */
  handleBatch(messages: IncomingMessage[], signal: AbortSignal): Promise<void>;
}

export interface ConsumerHealth {
  healthy: boolean;
  /** Why not, for /readyz. */
  reason?: string;
}

export interface Consumption {
  /** Whether the member is in its group and fetching (it restarts itself after any crash). */
  health(): ConsumerHealth;
  /** Finishes the message in hand, commits, and leaves the group. */
  stop(): Promise<void>;
}

export interface MessageTransport {
  /**
   * Sends in order; resolves when the broker acknowledged every message.
   * Rejects with a TransportError: `MESSAGE_REFUSED` (retryable false) when
   * the broker will never take a message, `BROKER_UNAVAILABLE` otherwise.
   */
  send(messages: OutgoingMessage[]): Promise<void>;
  /** Resolves once the member has joined its group and is fetching. */
  consume(options: ConsumeOptions): Promise<Consumption>;
  /** Per partition the group committed on: the partition's end offset minus the committed offset. */
  consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/** Where the transport's client logs go (a service passes its logger, so levels and format are the service's). */
export type TransportLog = (level: 'error' | 'warn' | 'info' | 'debug', message: string, fields: Record<string, unknown>) => void;
