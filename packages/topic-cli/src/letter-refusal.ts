/**
 * Broker refusals that concern the records of one message, not the topic or
 * the producer: the letter can be skipped and the others sent. Narrower on
 * purpose than the transport's MESSAGE_REFUSED, which also covers
 * TOPIC_AUTHORIZATION_FAILED and INVALID_TOPIC_EXCEPTION: skipping on those
 * would record every letter as redriven without sending one.
 */
const LETTER_REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/**
 * The Kafka error type (e.g. MESSAGE_TOO_LARGE) when `error`, an error in its
 * cause chain or one it aggregates is a refusal of a message's records;
 * undefined for anything else (an outage, a missing topic, a bug).
 */
export function letterRefusal(error: unknown, depth = 0): string | undefined {
  if (!(error instanceof Object) || depth > 8) return undefined;
  const { type, cause, errors } = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof type === 'string' && LETTER_REFUSALS.has(type)) return type;
  for (const inner of Array.isArray(errors) ? errors : []) {
    const refusal = letterRefusal(inner, depth + 1);
    if (refusal) return refusal;
  }
  return letterRefusal(cause, depth + 1);
}
