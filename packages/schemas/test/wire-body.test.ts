import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import { SchemaError } from '../src/schema-error.ts';
import { SCHEMAS_DIR, SchemaRegistry, topicSchema } from '../src/schema-registry.ts';

const registry = SchemaRegistry.load();
const TOPIC = 'exp.events';

/** schemas/exp.events/example.json, encoded as producers send it. */
function validMessage(): Buffer {
  const example = registry.latest(TOPIC).type.clone(JSON.parse(readFileSync(join(SCHEMAS_DIR, TOPIC, 'example.json'), 'utf8')));
  return registry.encode(TOPIC, example);
}

function refusedAsBodyInvalid(detail: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof SchemaError, `a SchemaError, got ${String(error)}`);
    assert.equal(error.code, 'WIRE_BODY_INVALID');
    assert.match(error.message, detail);
    assert.ok(error.cause instanceof Error, 'the decoder error is kept as the cause');
    assert.equal(error.retryable, false);
    return true;
  };
}

test('the example decodes as it is (the cases below differ from it only by their ends)', () => {
  const message = validMessage();
  assert.equal(registry.decode(TOPIC, message).writer.topic, TOPIC);
});

test('an exp.events message with its last byte cut off is WIRE_BODY_INVALID, naming the body size, topic and version', () => {
  const message = validMessage();
  const cut = message.subarray(0, message.length - 1);
  const bodyBytes = cut.length - 10;
  assert.throws(
    () => registry.decode(TOPIC, cut),
    refusedAsBodyInvalid(new RegExp(`^the ${bodyBytes}-byte body is not a exp\\.events v2 record: `)),
  );
});

test('an exp.events message with 5 bytes after its record is WIRE_BODY_INVALID', () => {
  const message = validMessage();
  const extended = Buffer.concat([message, Buffer.from([0x00, 0x02, 0x04, 0x06, 0x08])]);
  const bodyBytes = extended.length - 10;
  assert.throws(
    () => registry.decode(TOPIC, extended),
    refusedAsBodyInvalid(new RegExp(`^the ${bodyBytes}-byte body is not a exp\\.events v2 record: `)),
  );
});

test('the header alone, with no body at all, is WIRE_BODY_INVALID', () => {
  const header = validMessage().subarray(0, 10);
  assert.throws(() => registry.decode(TOPIC, header), refusedAsBodyInvalid(/^the 0-byte body/));
});

test('a body written with an older version and cut short is WIRE_BODY_INVALID too (the resolving path)', () => {
  const v1 = topicSchema('t', 1, 'v1.avsc', avro.Type.forSchema({ type: 'record', name: 'E', fields: [{ name: 'id', type: 'string' }] }));
  const v2 = topicSchema(
    't',
    2,
    'v2.avsc',
    avro.Type.forSchema({
      type: 'record',
      name: 'E',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'region', type: 'string', default: 'unknown' },
      ],
    }),
  );
  const old = new SchemaRegistry([v1]).encode('t', { id: 'abcdef' });
  const both = new SchemaRegistry([v1, v2]);
  assert.throws(() => both.decode('t', old.subarray(0, old.length - 1)), refusedAsBodyInvalid(/^the 6-byte body is not a t v1 record: /));
  assert.throws(
    () => both.decode('t', Buffer.concat([old, Buffer.alloc(5)])),
    refusedAsBodyInvalid(/^the 12-byte body is not a t v1 record: /),
  );
});
