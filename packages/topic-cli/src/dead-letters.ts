import { DLT_HEADER, deadLetterTopic, type IncomingMessage, type MessageTransport, type TopicAdmin } from '@planner/bus';

/** Every dead letter of `topic`, oldest first. */
export async function listDeadLetters(admin: TopicAdmin, topic: string): Promise<IncomingMessage[]> {
  const found: IncomingMessage[] = [];
  await admin.read({
    topic: deadLetterTopic(topic),
    start: { from: 'beginning' },
    follow: false,
    onMessage: (message) => {
      found.push(message);
      return true;
    },
  });
  return found;
}

/**
 * Sends dead letters back to the topic they came from, with their original
 * key, value and headers (the dlt-* headers dropped). Consumers that already
 * processed an event drop it again by its event id, so redriving twice is safe.
 */
export async function redrive(transport: MessageTransport, letters: IncomingMessage[]): Promise<number> {
  const dltNames = new Set<string>(Object.values(DLT_HEADER));
  const messages = letters.map((letter) => ({
    topic: letter.headers[DLT_HEADER.originalTopic] ?? letter.topic.replace(/\.dlt$/, ''),
    key: letter.key?.toString() ?? null,
    value: letter.value ?? Buffer.alloc(0),
    headers: Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !dltNames.has(name))),
  }));
  await transport.send(messages);
  return messages.length;
}
