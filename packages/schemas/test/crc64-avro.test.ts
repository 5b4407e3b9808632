import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc64Avro, EMPTY64 } from '../src/crc64-avro.ts';

const fp = (text: string) => crc64Avro(Buffer.from(text, 'utf8'));
// The Avro project publishes fingerprints as signed Java longs (share/test/data/schema-tests.txt).
const unsigned = (signed: bigint) => BigInt.asUintN(64, signed);

test('the fingerprint of no bytes is the algorithm’s initial value', () => {
  assert.equal(crc64Avro(new Uint8Array()), EMPTY64);
  assert.equal(EMPTY64, 0xc15d213aa4d7a795n);
});

test('matches the fingerprints published with the Avro specification', () => {
  assert.equal(fp('"null"'), unsigned(7195948357588979594n));
  assert.equal(fp('"null"').toString(16), '63dd24e7cc258f8a');
  assert.equal(fp('"boolean"'), unsigned(-6970731678124411036n));
  assert.equal(fp('"int"'), unsigned(8247732601305521295n));
  assert.equal(fp('"long"'), unsigned(-3434872931120570953n));
  assert.equal(fp('"string"'), unsigned(-8142146995180207161n));
  assert.equal(fp('{"name":"foo","type":"fixed","size":15}'), unsigned(1756455273707447556n));
  assert.equal(fp('{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}'), unsigned(7843277075252814651n));
  assert.equal(
    fp('{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}'),
    unsigned(-1759257747318642341n),
  );
});
