import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import type { SchemaError } from '../src/schema-error.ts';
import { SCHEMAS_DIR, SchemaRegistry, type TopicSchema, topicSchema } from '../src/schema-registry.ts';

const registry = SchemaRegistry.load();

function example(topic: string): unknown {
  // Examples are plain JSON in the shape producers hand to the bus (unions unwrapped).
  return registry.latest(topic).type.clone(JSON.parse(readFileSync(join(SCHEMAS_DIR, topic, 'example.json'), 'utf8')));
}

test('every topic with a schema round-trips its example through the single-object encoding', () => {
  assert.ok(registry.topics().includes('exp.events'));
  for (const topic of registry.topics()) {
    const value = example(topic);
    const message = registry.encode(topic, value);
    const { value: decoded, writer } = registry.decode(topic, message);
    assert.equal(writer.topic, topic);
    assert.deepEqual(decoded, value, topic);
  }
});

test("every example is its topic's newest version as written: every field named, no default filled in", () => {
  for (const topic of registry.topics()) {
    const latest = registry.latest(topic);
    const raw = JSON.parse(readFileSync(join(SCHEMAS_DIR, topic, 'example.json'), 'utf8')) as Record<string, unknown>;
    const fields = (latest.type.schema() as { fields: { name: string }[] }).fields.map((f) => f.name);
    assert.deepEqual(Object.keys(raw), fields, topic);
    assert.ok(latest.type.isValid(raw), topic);
    assert.equal(raw.schema_version, latest.version, topic);
  }
});

test('no record type has a default for every field (the encoder relies on it to refuse a non-object)', () => {
  // avsc's writer, which the encoder trusts to check values, would write such a record's defaults for a number.
  const allDefaulted: string[] = [];
  const visit = (type: avro.Type, topic: string): void => {
    if (type instanceof avro.types.RecordType) {
      if (type.fields.length > 0 && type.fields.every((field) => field.defaultValue() !== undefined))
        allDefaulted.push(`${topic}: ${type.name}`);
      for (const field of type.fields) visit(field.type, topic);
    } else if (type instanceof avro.types.ArrayType) visit(type.itemsType, topic);
    else if (type instanceof avro.types.MapType) visit(type.valuesType, topic);
    else if (type.typeName.startsWith('union')) for (const branch of (type as avro.types.UnwrappedUnionType).types) visit(branch, topic);
  };
  for (const topic of registry.topics())
    for (const version of registry.versions(topic)) visit(version.type, `${topic} v${version.version}`);
  assert.deepEqual(allDefaulted, []);
});

test('every event schema carries the envelope fields', () => {
  for (const topic of registry.topics()) {
    const fields = (registry.latest(topic).type.schema() as { fields: { name: string }[] }).fields.map((f) => f.name);
    for (const name of ['event_id', 'occurred_at', 'correlation_id', 'producer', 'schema_version']) {
      assert.ok(fields.includes(name), `${topic} has ${name}`);
    }
  }
});

test('every version of a topic reads data written with every older version (backward-transitive)', () => {
  for (const topic of registry.topics()) {
    const versions = registry.versions(topic);
    for (const [i, reader] of versions.entries()) {
      for (const writer of versions.slice(0, i)) {
        assert.doesNotThrow(() => reader.type.createResolver(writer.type), `${topic} v${reader.version} reads v${writer.version}`);
      }
    }
  }
});

function version(topic: string, number: number, schema: avro.Schema): TopicSchema {
  return topicSchema(topic, number, `v${number}.avsc`, avro.Type.forSchema(schema));
}

test('a message written with an older version is decoded into the newest shape, defaults filled in', () => {
  const v1 = version('t', 1, { type: 'record', name: 'E', fields: [{ name: 'id', type: 'string' }] });
  const v2 = version('t', 2, {
    type: 'record',
    name: 'E',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'region', type: 'string', default: 'unknown' },
    ],
  });
  const old = new SchemaRegistry([v1]).encode('t', { id: 'a' });
  const { value, writer } = new SchemaRegistry([v1, v2]).decode('t', old);
  assert.equal(writer.version, 1);
  assert.deepEqual({ ...(value as object) }, { id: 'a', region: 'unknown' });
});

test('a message whose fingerprint is unknown, or belongs to another topic, is refused with a coded error', () => {
  const other = new SchemaRegistry([version('t', 1, { type: 'record', name: 'X', fields: [{ name: 'n', type: 'int' }] })]).encode('t', {
    n: 1,
  });
  assert.throws(
    () => registry.decode('exp.events', other),
    (e: SchemaError) => e.code === 'SCHEMA_UNKNOWN_FINGERPRINT' && /is not a schema of topic 'exp.events'/.test(e.message),
  );
  assert.throws(
    () => registry.latest('no.such.topic'),
    (e: SchemaError) => e.code === 'SCHEMA_UNKNOWN_TOPIC',
  );
});

test('every topic of the catalogue has a schema, and every schema a topic', () => {
  const catalogue = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'topics.json'), 'utf8')) as { topics: { name: string }[] };
  assert.deepEqual(registry.topics(), catalogue.topics.map((t) => t.name).sort());
});
