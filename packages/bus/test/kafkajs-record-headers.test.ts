/**
 * kafkajs is patched (patches/kafkajs@2.2.4.patch, decision 0004) to write a
 * record's headers in place rather than through an encoder per header. These
 * are the bytes the Kafka protocol defines for a record (KIP-82, record format
 * v2), computed by hand, so the patch cannot change what goes on the wire.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const record = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | string[]>;
}) => { buffer: Buffer };

test('a record with headers (a repeated key, a two-byte character) is written byte for byte as the protocol says', () => {
  const bytes = record({ key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: 'é', b: ['1', '2'] } }).buffer;
  // Varints are zigzag: n is written as 2n, -1 as 1.
  const expected = [
    [0x2a], // length of what follows: 21
    [0x00, 0x00, 0x00], // attributes, timestamp delta 0, offset delta 0
    [0x02, 0x6b], // key: 1 byte, 'k'
    [0x02, 0x76], // value: 1 byte, 'v'
    [0x06], // 3 headers
    [0x02, 0x61, 0x04, 0xc3, 0xa9], // 'a' = 'é' (2 bytes in UTF-8)
    [0x02, 0x62, 0x02, 0x31], // 'b' = '1'
    [0x02, 0x62, 0x02, 0x32], // 'b' = '2'
  ].flat();
  assert.deepEqual([...bytes], expected);
});

test('a record without headers, at later offsets and times, ends with a zero header count', () => {
  const bytes = record({ offsetDelta: 300, timestampDelta: 1, key: null, value: Buffer.from([0xc3, 0x01]) }).buffer;
  // Length 9; 300 zigzagged is 600, 0xd8 0x04 as a varint; a null key is length -1.
  assert.deepEqual([...bytes], [0x12, 0x00, 0x02, 0xd8, 0x04, 0x01, 0x04, 0xc3, 0x01, 0x00]);
});
