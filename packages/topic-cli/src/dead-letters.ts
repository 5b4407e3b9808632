import { DLT_HEADER, deadLetterTopic, type IncomingMessage, type OutgoingMessage, type TopicAdmin } from '@planner/bus';

/** On a redriven message: `<dead-letter topic>/<partition>/<offset>` of the letter it was sent back from. */
export const REDRIVEN_FROM_HEADER = 'redriven-from';

/** Every dead letter of `topic`, oldest first (in offset order within each partition). */
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

/** Where a dead letter sits: `<dead-letter topic>/<partition>/<offset>`. */
export function letterPosition(letter: IncomingMessage): string {
  return `${letter.topic}/${letter.partition}/${letter.offset}`;
}

/** True for a stub letter, whose value the bus did not keep. */
export function isStub(letter: IncomingMessage): boolean {
  return letter.headers[DLT_HEADER.valueOmitted] === 'true';
}

/** Why a stub cannot be redriven, with what the bus kept about the value (its size and hash headers). */
export function stubReason(letter: IncomingMessage): string {
  const kept = [DLT_HEADER.originalSize, DLT_HEADER.originalSha256]
    .filter((name) => letter.headers[name] !== undefined)
    .map((name) => `${name}=${letter.headers[name]}`);
  return `its value was not kept in the dead letter (${[DLT_HEADER.valueOmitted, ...kept].join(', ')}): republish the event from its source`;
}

/**
 * The message a dead letter is sent back as: its original key, value and
 * headers, every dlt-* header dropped (including any the bus adds later), and
 * `redriven-from` naming the letter. A letter that failed again after an
 * earlier redrive carries the old `redriven-from`: the new one replaces it.
 */
export function redrivenMessage(letter: IncomingMessage): OutgoingMessage {
  const headers = Object.fromEntries(
    Object.entries(letter.headers).filter(([name]) => !name.startsWith('dlt-') && name !== REDRIVEN_FROM_HEADER),
  );
  return {
    topic: letter.headers[DLT_HEADER.originalTopic] ?? letter.topic.replace(/\.dlt$/, ''),
    key: letter.key?.toString() ?? null,
    value: letter.value ?? Buffer.alloc(0),
    headers: { ...headers, [REDRIVEN_FROM_HEADER]: letterPosition(letter) },
  };
}
