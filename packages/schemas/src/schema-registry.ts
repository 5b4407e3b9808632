import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { crc64Avro, fingerprintBytes } from './crc64-avro.ts';
import { SchemaError } from './schema-error.ts';
import { encodeSingleObject, readFingerprint, singleObjectBody, singleObjectHeader } from './single-object.ts';

/** One version of one topic's schema, as loaded from `schemas/<topic>/v<N>.avsc`. */
export interface TopicSchema {
  topic: string;
  version: number;
  file: string;
  type: avro.Type;
  /** The schema's Parsing Canonical Form, the input of its fingerprint. */
  canonical: string;
  /** CRC-64-AVRO of the canonical form, unsigned. */
  fingerprint: bigint;
  /**
   * The fingerprint's 8 little-endian bytes in hex, as the bus's schema-fingerprint header carries it: the same
   * bytes as the message body's single-object header and as Java's `parsingFingerprint("CRC-64-AVRO")` and fastavro.
   */
  fingerprintHex: string;
  /** `C3 01` + fingerprint: the first 10 bytes of every message written with this version. */
  header: Buffer;
}

/** Builds a TopicSchema from a parsed type; the canonical form and fingerprint follow from it. */
export function topicSchema(topic: string, version: number, file: string, type: avro.Type): TopicSchema {
  // avsc's schema() drops docs, defaults, aliases and logical types and orders keys: the Parsing Canonical Form.
  const canonical = JSON.stringify(type.schema());
  const fingerprint = crc64Avro(Buffer.from(canonical, 'utf8'));
  return {
    topic,
    version,
    file,
    type,
    canonical,
    fingerprint,
    fingerprintHex: fingerprintBytes(fingerprint).toString('hex'),
    header: singleObjectHeader(fingerprint),
  };
}

export const SCHEMAS_DIR = join(import.meta.dirname, '..', '..', '..', 'schemas');

function loadVersion(topic: string, file: string): TopicSchema {
  const match = /^v(\d+)\.avsc$/.exec(file);
  if (!match) throw new SchemaError('SCHEMA_INVALID_FILE', `${topic}/${file}: schema files are named v<N>.avsc`);
  const path = join(SCHEMAS_DIR, topic, file);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new SchemaError('SCHEMA_INVALID_FILE', `${path}: ${(error as Error).message}`);
  }
  return topicSchema(topic, Number(match[1]), path, type);
}

/**
 * Every topic's schema versions, indexed by topic and by fingerprint. Readers
 * decode with the newest version of the topic, resolving from the writer's.
 */
export class SchemaRegistry {
  readonly #byTopic = new Map<string, TopicSchema[]>();
  readonly #byFingerprint = new Map<bigint, TopicSchema>();
  readonly #resolvers = new Map<string, avro.Resolver>();

  constructor(schemas: Iterable<TopicSchema>) {
    for (const schema of schemas) {
      const versions = this.#byTopic.get(schema.topic) ?? [];
      versions.push(schema);
      versions.sort((a, b) => a.version - b.version);
      this.#byTopic.set(schema.topic, versions);
      this.#byFingerprint.set(schema.fingerprint, schema);
    }
  }

  static load(): SchemaRegistry {
    const topics = readdirSync(SCHEMAS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    return new SchemaRegistry(
      topics.flatMap((dir) =>
        readdirSync(join(SCHEMAS_DIR, dir.name))
          .filter((file) => file.endsWith('.avsc'))
          .map((file) => loadVersion(dir.name, file)),
      ),
    );
  }

  topics(): string[] {
    return [...this.#byTopic.keys()].sort();
  }

  versions(topic: string): readonly TopicSchema[] {
    const versions = this.#byTopic.get(topic);
    if (!versions) throw new SchemaError('SCHEMA_UNKNOWN_TOPIC', `no schema for topic '${topic}' in ${SCHEMAS_DIR}`);
    return versions;
  }

  latest(topic: string): TopicSchema {
    return this.versions(topic).at(-1) as TopicSchema;
  }

  byFingerprint(fingerprint: bigint): TopicSchema | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  /** Encodes with the topic's newest schema. */
  encode(topic: string, value: unknown): Buffer {
    const schema = this.latest(topic);
    return encodeSingleObject(schema.type, schema.header, value);
  }

  /**
   * Decodes a message of `topic` written with any known version of its schema,
   * into the shape of the newest version.
   */
  decode(topic: string, message: Uint8Array): { value: unknown; writer: TopicSchema } {
    const fingerprint = readFingerprint(message);
    const writer = this.byFingerprint(fingerprint);
    if (!writer || writer.topic !== topic) {
      throw new SchemaError(
        'SCHEMA_UNKNOWN_FINGERPRINT',
        `fingerprint 0x${fingerprint.toString(16).padStart(16, '0')} is not a schema of topic '${topic}'${writer ? ` (it is ${writer.topic} v${writer.version})` : ''}`,
      );
    }
    const reader = this.latest(topic);
    const body = singleObjectBody(message);
    // Outside the try: schemas that cannot resolve are the catalogue's fault, not this message's.
    const resolver = writer === reader ? undefined : this.#resolver(reader, writer);
    try {
      return { value: resolver ? reader.type.fromBuffer(body, resolver) : reader.type.fromBuffer(body), writer };
    } catch (error) {
      // avsc throws plain errors for a body cut short ("truncated buffer") or with bytes left over ("trailing data").
      throw new SchemaError(
        'WIRE_BODY_INVALID',
        `the ${body.length}-byte body is not a ${topic} v${writer.version} record: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #resolver(reader: TopicSchema, writer: TopicSchema): avro.Resolver {
    const key = `${reader.fingerprint}:${writer.fingerprint}`;
    let resolver = this.#resolvers.get(key);
    if (!resolver) {
      resolver = reader.type.createResolver(writer.type);
      this.#resolvers.set(key, resolver);
    }
    return resolver;
  }
}
