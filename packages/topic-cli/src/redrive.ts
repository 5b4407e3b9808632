import { type IncomingMessage, type MessageTransport, type PartitionOffset, TransportError } from '@planner/bus';
import { isStub, redrivenMessage, stubReason } from './dead-letters.ts';
import { redriveBatches } from './redrive-batches.ts';

export interface SkippedLetter {
  letter: IncomingMessage;
  reason: string;
}

export interface RedriveOptions {
  /**
   * Called after each batch, once every letter in it was sent or skipped,
   * with the next offset of each partition it touched. `--all` records them.
   */
  afterBatch(positions: PartitionOffset[]): Promise<void>;
  /** A letter that cannot be sent back; the redrive goes on without it. */
  onSkip(skipped: SkippedLetter): void;
  /** Once aborted (Ctrl-C), no further batch starts; the one in hand finishes and is recorded. */
  signal?: AbortSignal;
}

export interface RedriveResult {
  sent: number;
  skipped: number;
}

/**
 * Sends dead letters back to the topics they came from, in bounded batches
 * and in order, skipping (and reporting) letters that cannot be sent back:
 * stubs, and letters the broker refuses for their own records. Any other
 * failure (an outage) propagates, and the batch in hand is not recorded.
 * Consumers deduplicate by event id, so a letter sent twice is harmless; the
 * batches and their records exist so that a rerun need not resend everything.
 */
export async function redrive(transport: MessageTransport, letters: IncomingMessage[], options: RedriveOptions): Promise<RedriveResult> {
  const result: RedriveResult = { sent: 0, skipped: 0 };
  for (const batch of redriveBatches(letters)) {
    if (options.signal?.aborted) break;
    const stubs = batch.filter(isStub);
    for (const letter of stubs) options.onSkip({ letter, reason: stubReason(letter) });
    const sendable = batch.filter((letter) => !isStub(letter));
    const refused = await sendFindingRefused(transport, sendable);
    for (const skipped of refused) options.onSkip(skipped);
    result.sent += sendable.length - refused.length;
    result.skipped += stubs.length + refused.length;
    await options.afterBatch(positionsAfter(batch));
  }
  return result;
}

/**
 * Sends the letters together; when the broker refuses a message's records,
 * sends them one at a time to learn which. Only a batch of several small
 * letters gets there (a large letter travels alone), and the broker may have
 * taken the letters of other partitions before refusing: those go twice, and
 * consumers drop the second copy by its event id.
 */
async function sendFindingRefused(transport: MessageTransport, letters: IncomingMessage[]): Promise<SkippedLetter[]> {
  try {
    await transport.send(letters.map(redrivenMessage));
    return [];
  } catch (error) {
    // Only a refusal of the message itself is skipped; an outage, a missing topic or permission stops the run.
    if (!(error instanceof TransportError) || error.code !== 'MESSAGE_REFUSED') throw error;
    const [only] = letters;
    if (only && letters.length === 1) return [{ letter: only, reason: error.message }];
    const refused: SkippedLetter[] = [];
    for (const letter of letters) refused.push(...(await sendFindingRefused(transport, [letter])));
    return refused;
  }
}

/** Per partition of the batch, the offset after its last letter there. */
function positionsAfter(batch: IncomingMessage[]): PartitionOffset[] {
  const next = new Map<number, bigint>();
  for (const letter of batch) {
    const after = BigInt(letter.offset) + 1n;
    if (after > (next.get(letter.partition) ?? 0n)) next.set(letter.partition, after);
  }
  return [...next].map(([partition, offset]) => ({ partition, offset: offset.toString() }));
}
