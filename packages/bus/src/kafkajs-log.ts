import { logLevel } from 'kafkajs';
import type { TransportLog } from './transport.ts';

type Level = Parameters<TransportLog>[0];

const LEVELS: Record<number, Level> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The kafkajs level that lets through what a logger at `level` prints (kafkajs has no trace or fatal). */
export function kafkajsLevel(level: string): logLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'warn':
      return logLevel.WARN;
    case 'silent':
      return logLevel.NOTHING;
    default:
      return logLevel.ERROR;
  }
}

/**
 * The broker's descriptions of a message it refuses for good (kafkajs' protocol
 * error table). kafkajs logs them at ERROR before it throws; the sender handles
 * the thrown error (dead letter, parked outbox row) and logs it once itself.
 */
const REFUSAL_DESCRIPTIONS = [
  'The request included a message larger than the max message size the server will accept',
  'The request included message batch larger than the configured segment size on the server',
  'This record has failed the validation on broker and hence be rejected',
];

/**
 * The level a kafkajs log line is worth. Routine lines go to debug: "Response
 * <Api>: <error>" is one protocol answer kafkajs retries itself (a coordinator
 * still loading after a broker start, a leader moving), a rebalance happens
 * whenever a member joins or leaves, and a refusal is handled by its sender.
 * What kafkajs cannot fix surfaces as a thrown error or a crash.
 */
export function kafkajsLogLevel(level: logLevel, message: string): Level {
  const routine =
    message.startsWith('Response ') ||
    message === 'The group is rebalancing, re-joining' ||
    REFUSAL_DESCRIPTIONS.some((refusal) => message.endsWith(refusal));
  return routine ? 'debug' : (LEVELS[level] ?? 'info');
}
