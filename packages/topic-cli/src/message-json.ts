import { DLT_HEADER, type IncomingMessage } from '@planner/bus';
import type { SchemaRegistry } from '@planner/schemas';

/** The topic whose schema decodes a message: the original topic for a dead letter. */
function schemaTopic(message: IncomingMessage): string {
  return message.headers[DLT_HEADER.originalTopic] ?? message.topic;
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** One message as a JSON object: where it sits, its headers, and its decoded event (or why it could not be decoded). */
export function messageToJson(message: IncomingMessage, registry: SchemaRegistry): Record<string, unknown> {
  const base = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key?.toString() ?? null,
    headers: message.headers,
  };
  if (!message.value) return { ...base, error: 'message has no value' };
  try {
    return { ...base, event: plain(registry.decode(schemaTopic(message), message.value).value) };
  } catch (error) {
    return { ...base, error: (error as Error).message, value_base64: message.value.toString('base64') };
  }
}
