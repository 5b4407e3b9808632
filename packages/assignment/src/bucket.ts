import { createHash } from 'node:crypto';

/** How many buckets units are hashed into; an allocation is a whole number of them (0.01% each). */
export const BUCKETS = 10_000;

/** The version of the hash below; a change to it gets a new number, never a silent change. */
export const HASH_VERSION = 1;

/**
 * The bucket of a unit in an experiment, hash version 1:
 *
 *     bucket = uint64_be(sha256(utf8("<hash_version>:<salt>:<unit_id>"))[0..8]) mod 10000
 *
 * That is: SHA-256 of the UTF-8 bytes of the hash version, the experiment's
 * salt and the unit id joined by ':'; the first 8 bytes of the digest read as
 * an unsigned big-endian integer; its remainder by 10,000. (2^64 mod 10,000 is
 * 1,616, so the bias towards the first 1,616 buckets is 1 in 1.8e15.) Any
 * language with SHA-256 reproduces it; the golden vectors in the tests pin it.
 */
export function bucketOf(unitId: string, salt: string, hashVersion: number = HASH_VERSION): number {
  if (hashVersion !== HASH_VERSION) throw new RangeError(`hash version ${hashVersion} is not known (this is version ${HASH_VERSION})`);
  const digest = createHash('sha256').update(`${hashVersion}:${salt}:${unitId}`, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(BUCKETS));
}
