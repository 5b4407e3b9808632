/**
 * deploy/kubernetes/base/provision: the topic catalogue matches schemas/topics.json, and create-topics.sh,
 * run against the local stack's Kafka with Kafka's own TopicCommand (the class kafka-topics.sh runs in the
 * apache/kafka image), creates a namespace's topics, changes nothing on a rerun and grows a topic.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { assertStackReachable, ensureJars, javaCommand, loadStackConfig } from '../../local/src/index.ts';
import { ROOT } from '../src/tool-cache.ts';

const PROVISION = join(ROOT, 'deploy', 'kubernetes', 'base', 'provision');
const config = loadStackConfig();
const admin = new Kafka({ clientId: 'create-topics-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
const namespace = `provision_${randomBytes(3).toString('hex')}.`;
const folder = mkdtempSync(join(tmpdir(), 'create-topics-'));
let kafkaTopics = '';

before(async () => {
  await assertStackReachable(config, ['kafka']);
  await admin.connect();
  const jars = await ensureJars(join(ROOT, 'deploy', 'local', 'jars', 'kafka.lock'), join(config.cacheDir, 'maven'));
  kafkaTopics = join(folder, 'kafka-topics.sh');
  writeFileSync(kafkaTopics, `#!/bin/sh\nexec '${javaCommand()}' -cp '${jars.join(':')}' org.apache.kafka.tools.TopicCommand "$@"\n`);
  chmodSync(kafkaTopics, 0o755);
});

after(async () => {
  const ours = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
  if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  await admin.disconnect();
  rmSync(folder, { recursive: true, force: true });
});

function createTopics(catalogue: string) {
  const file = join(folder, `topics-${randomBytes(2).toString('hex')}.tsv`);
  writeFileSync(file, catalogue);
  const result = spawnSync('sh', [join(PROVISION, 'create-topics.sh')], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      KAFKA_TOPICS: kafkaTopics,
      TOPICS_FILE: file,
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      KAFKA_NAMESPACE: namespace,
    },
  });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  return result.stdout;
}

async function partitions(): Promise<Record<string, number>> {
  const names = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  return Object.fromEntries(topics.map((t) => [t.name.slice(namespace.length), t.partitions.length]));
}

test('topics.tsv is the catalogue of schemas/topics.json', () => {
  const catalogue = JSON.parse(readFileSync(join(ROOT, 'schemas', 'topics.json'), 'utf8')) as {
    topics: { name: string; partitions: number }[];
  };
  const tsv = readFileSync(join(PROVISION, 'topics.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, count] = line.split('\t');
      return { name, partitions: Number(count) };
    });
  assert.deepEqual(
    tsv,
    catalogue.topics.map((t) => ({ name: t.name, partitions: t.partitions })),
  );
});

test('create-topics.sh creates each topic and its dead-letter topic, reruns without change, and grows a topic', async () => {
  createTopics('# comment\nshards\t4\nevents\t2\n');
  assert.deepEqual(await partitions(), { shards: 4, 'shards.dlt': 1, events: 2, 'events.dlt': 1 });

  const rerun = createTopics('shards\t4\nevents\t2\n');
  assert.doesNotMatch(rerun, /Created|Grew/);

  const grown = createTopics('shards\t6\nevents\t2\n');
  assert.match(grown, /Grew topic .*shards from 4 to 6/);
  assert.deepEqual(await partitions(), { shards: 6, 'shards.dlt': 1, events: 2, 'events.dlt': 1 });
});

test('create-topics.sh refuses a catalogue line without a partition count', () => {
  const file = join(folder, 'bad.tsv');
  writeFileSync(file, 'shards\n');
  const result = spawnSync('sh', [join(PROVISION, 'create-topics.sh')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, KAFKA_TOPICS: kafkaTopics, TOPICS_FILE: file, KAFKA_BROKERS: config.kafka.brokers.join(',') },
  });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /'shards' needs a partition count/);
});
