export { BusError, type BusErrorCode, EventRejected, TransportError } from './bus-error.ts';
export { type BusTables, busMigrations } from './bus-tables.ts';
export { type Envelope, type EventBody, EventBus } from './event-bus.ts';
export { AVRO_SINGLE_OBJECT, DLT_HEADER, deadLetterTopic, HEADER, LEGACY_EVENT_ID_HEADER } from './headers.ts';
export { type HandlerContext, IdempotentConsumer, type RetryPolicy, type SubscribeOptions } from './idempotent-consumer.ts';
export { pruneInbox } from './inbox-pruner.ts';
export { KafkajsTransport } from './kafkajs-transport.ts';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts';
export type { PartitionOffset, ReadOptions, ReadStart, TopicAdmin } from './topic-admin.ts';
export type {
  ConsumeOptions,
  ConsumerHealth,
  Consumption,
  Headers,
  IncomingMessage,
  MessageTransport,
  OutgoingMessage,
  TransportLog,
} from './transport.ts';
