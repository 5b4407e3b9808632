import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { crc64Avro } from '../src/crc64-avro.ts';
import type { SchemaError } from '../src/schema-error.ts';
import { topicSchema } from '../src/schema-registry.ts';
import { encodeSingleObject, readFingerprint, singleObjectBody, singleObjectHeader } from '../src/single-object.ts';

// The published record vector: its canonical form's fingerprint is 7843277075252814651 = 0x6cd8eaf1c968a33b.
const type = avro.Type.forSchema({ type: 'record', name: 'foo', fields: [{ name: 'f1', type: 'boolean' }] });
const fingerprint = crc64Avro(Buffer.from(JSON.stringify(type.schema())));

test('encodes marker, little-endian fingerprint and body byte for byte', () => {
  assert.equal(fingerprint, 0x6cd8eaf1c968a33bn);
  const message = encodeSingleObject(type, singleObjectHeader(fingerprint), { f1: true });
  // C3 01 | 3b a3 68 c9 f1 ea d8 6c (LE) | 01 (boolean true)
  assert.equal(message.toString('hex'), 'c3013ba368c9f1ead86c01');
  assert.equal(readFingerprint(message), fingerprint);
  assert.deepEqual(singleObjectBody(message), Buffer.from([0x01]));
});

test('messages of any size come out whole and apart: larger than the scratch buffer, then smaller, none sharing bytes', () => {
  const text = avro.Type.forSchema({ type: 'record', name: 'note', fields: [{ name: 'body', type: 'string' }] });
  const header = singleObjectHeader(crc64Avro(Buffer.from(JSON.stringify(text.schema()))));
  const expected = (body: string) => Buffer.concat([header, text.toBuffer({ body })]);
  const large = 'x'.repeat(100_000);
  const first = encodeSingleObject(text, header, { body: large });
  const second = encodeSingleObject(text, header, { body: 'short' });
  const third = encodeSingleObject(text, header, { body: `${large}y` });
  // equals(), not deepEqual: a failure should not print 100 KB.
  assert.ok(first.equals(expected(large)), 'the large message, after the scratch buffer grew');
  assert.ok(second.equals(expected('short')), 'a small message after it: no bytes of the large one');
  assert.ok(third.equals(expected(`${large}y`)), 'a third, larger still');
  assert.ok(text.fromBuffer(singleObjectBody(first)).body === large, 'the first is intact after two more encodes');
});

test("the hex fingerprint the bus puts in its header is the body header's bytes, as Java and fastavro write them", () => {
  // Java's SchemaNormalization.parsingFingerprint("CRC-64-AVRO", schema) and fastavro's fingerprint() give these bytes.
  assert.equal(topicSchema('t', 1, 'v1.avsc', type).fingerprintHex, '3ba368c9f1ead86c');
});

test('a value that does not fit the schema is refused, naming the field', () => {
  assert.throws(
    () => encodeSingleObject(type, singleObjectHeader(fingerprint), { f1: 'yes' }),
    (error: SchemaError) => error.code === 'EVENT_INVALID' && /f1: "yes"/.test(error.message),
  );
});

test('a value wrong deep inside is refused naming every field that does not fit, and the next encode is unharmed', () => {
  const plan = avro.Type.forSchema({
    type: 'record',
    name: 'plan',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'mode', type: { type: 'enum', name: 'mode', symbols: ['manual', 'autopilot'] } },
      { name: 'cost', type: ['null', 'double'] },
      {
        name: 'days',
        type: { type: 'array', items: { type: 'record', name: 'day', fields: [{ name: 'day', type: 'int' }] } },
      },
    ],
  });
  const header = singleObjectHeader(crc64Avro(Buffer.from(JSON.stringify(plan.schema()))));
  const good = { id: 'p1', mode: 'manual', cost: 2.5, days: [{ day: 0 }, { day: 1 }] };
  const refusal = (value: unknown) => {
    try {
      encodeSingleObject(plan, header, value);
    } catch (error) {
      assert.equal((error as SchemaError).code, 'EVENT_INVALID');
      return (error as Error).message;
    }
    assert.fail(`accepted ${JSON.stringify(value)}`);
  };
  // The writer stops at the first bad value; the message names the later ones too.
  assert.match(refusal({ ...good, mode: 'auto', days: [{ day: 0 }, { day: 1.5 }] }), /mode: "auto"; days\.1\.day: 1\.5/);
  assert.match(refusal({ ...good, cost: 'cheap' }), /cost: "cheap"/);
  assert.match(refusal({ ...good, id: undefined }), /id: undefined/);
  assert.match(refusal(null), /\(root\): null/);
  assert.match(refusal({ ...good, days: [null] }), /days\.0: null/);
  // A refusal may leave part of a body in the scratch buffer: the next message is still exactly its own bytes.
  assert.ok(encodeSingleObject(plan, header, good).equals(Buffer.concat([header, plan.toBuffer(good)])));
});

test('a message without the marker or shorter than the header is refused with a coded error', () => {
  assert.throws(
    () => readFingerprint(Buffer.from('{"f1":true}')),
    (e: SchemaError) => e.code === 'WIRE_BAD_MAGIC' && /0x7b22/.test(e.message),
  );
  assert.throws(
    () => readFingerprint(Buffer.from([0xc3, 0x01, 0x00])),
    (e: SchemaError) => e.code === 'WIRE_TRUNCATED',
  );
});
