import type { IncomingMessage } from '@planner/bus';

export interface BatchBounds {
  /** Most letters per batch: a crash between a batch's send and its record sends at most this many twice. */
  letters: number;
  /**
   * Most bytes per batch. Kafka refuses a partition's record batch above
   * max.message.bytes (1 MiB by default), so ordinary letters stay well under
   * it together, and a letter larger than this travels alone: a refusal for
   * size then names exactly one letter.
   */
  bytes: number;
}

/** Recording progress costs seconds (a consumer group's commit), so batches are as large as stays safe. */
export const BATCH_BOUNDS: BatchBounds = { letters: 250, bytes: 512 * 1024 };

/** A record's fixed cost on the wire besides its key, value and headers, near enough. */
const RECORD_OVERHEAD = 64;

/** Bytes a letter takes when sent back, near enough: key, value, header names and values. */
export function letterBytes(letter: IncomingMessage): number {
  const headers = Object.entries(letter.headers).reduce((sum, [name, value]) => sum + name.length + Buffer.byteLength(value), 0);
  return RECORD_OVERHEAD + (letter.key?.length ?? 0) + (letter.value?.length ?? 0) + headers;
}

/** Consecutive runs of `letters`, each within `bounds` (a letter larger than the byte bound alone). */
export function* redriveBatches(letters: IncomingMessage[], bounds: BatchBounds = BATCH_BOUNDS): Generator<IncomingMessage[]> {
  let batch: IncomingMessage[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const size = letterBytes(letter);
    if (batch.length > 0 && (batch.length >= bounds.letters || bytes + size > bounds.bytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(letter);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
