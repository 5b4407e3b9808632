import type { Type } from 'avsc';
import { fingerprintBytes } from './crc64-avro.ts';
import { SchemaError } from './schema-error.ts';

/** The two marker bytes that open every single-object encoded message (Avro spec, "Single-object encoding"). */
export const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = SINGLE_OBJECT_MAGIC.length + 8;

/** The 10 bytes every message written with this schema starts with. */
export function singleObjectHeader(fingerprint: bigint): Buffer {
  return Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprintBytes(fingerprint)]);
}

/**
 * Encodes `value` as `C3 01` + 8-byte little-endian CRC-64-AVRO fingerprint
 * + Avro binary body (`header` is `singleObjectHeader(fingerprint)`), after
 * checking it against the schema; a value that does not fit is refused,
 * naming every field that does not.
 */
export function encodeSingleObject(type: Type, header: Buffer, value: unknown): Buffer {
  // avsc's writer checks each value it writes and throws on the first that does not fit, so the value is not walked a
  // second time first (a fifth of the encoding cost). It would write a record's defaults for a value that is not an
  // object at all if every field had one; the catalogue test keeps such records out of our schemas.
  let end: number;
  try {
    for (;;) {
      header.copy(scratch, 0);
      end = type.encode(value, scratch, header.length);
      if (end >= 0) break;
      // Too small: avsc returns minus the bytes that did not fit.
      scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
    }
  } catch (error) {
    throw invalid(type, value, error);
  }
  // Header and body are written into one scratch buffer and copied out once: avsc's toBuffer and a concat after it
  // allocate and copy twice more, which was a third of the bus's publish cost per message.
  return Buffer.from(scratch.subarray(0, end));
}

/** The refusal of a value the writer threw on, naming every field that does not fit. */
function invalid(type: Type, value: unknown, thrown: unknown): SchemaError {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], got: unknown) => problems.push(`${path.join('.') || '(root)'}: ${JSON.stringify(got) ?? 'undefined'}`),
  });
  if (problems.length === 0) problems.push(thrown instanceof Error ? thrown.message : String(thrown));
  return new SchemaError('EVENT_INVALID', `value does not match ${String(type.name)}: ${problems.join('; ')}`);
}

/** Grows for the largest message seen; one per thread, as every call finishes with it before returning. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/** Reads the writer schema's fingerprint from a single-object encoded message. */
export function readFingerprint(message: Uint8Array): bigint {
  if (message.length < HEADER_LENGTH) {
    throw new SchemaError(
      'WIRE_TRUNCATED',
      `message of ${message.length} bytes is shorter than the ${HEADER_LENGTH}-byte single-object header`,
    );
  }
  if (message[0] !== SINGLE_OBJECT_MAGIC[0] || message[1] !== SINGLE_OBJECT_MAGIC[1]) {
    const seen = Buffer.from(message.subarray(0, 2)).toString('hex');
    throw new SchemaError('WIRE_BAD_MAGIC', `message starts with 0x${seen}, not the single-object marker 0xc301`);
  }
  return Buffer.from(message.buffer, message.byteOffset, message.byteLength).readBigUInt64LE(2);
}

/** The Avro binary body after the header. */
export function singleObjectBody(message: Uint8Array): Buffer {
  return Buffer.from(message.buffer, message.byteOffset + HEADER_LENGTH, message.byteLength - HEADER_LENGTH);
}
