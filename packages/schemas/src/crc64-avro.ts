/**
 * CRC-64-AVRO, the Rabin fingerprint the Avro specification defines for
 * schema fingerprints ("Schema Fingerprints"). avsc only offers md5/sha256.
 */
export const EMPTY64 = 0xc15d213aa4d7a795n;

const TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ ((fp & 1n) === 1n ? EMPTY64 : 0n);
  return fp;
});

/** The fingerprint of `bytes` as an unsigned 64-bit integer. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY64;
  for (const byte of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  return fp;
}

/** The 8 bytes single-object encoding carries: the fingerprint, little-endian. */
export function fingerprintBytes(fingerprint: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(fingerprint);
  return bytes;
}
