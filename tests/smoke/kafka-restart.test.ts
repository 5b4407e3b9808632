import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadStackConfig } from '@planner/local-stack';
import { Kafka, logLevel } from 'kafkajs';
import { consumeAndCommit } from '../support/kafka.ts';

// A broker of its own, in its own stack folder and ports, so restarting it leaves the shared stack alone.
const scratch = mkdtempSync(join(tmpdir(), 'pl-kafka-restart-'));
const env: NodeJS.ProcessEnv = { ...process.env, PL_STACK_DIR: scratch, PL_KAFKA_PORT: '19792', PL_KAFKA_CONTROLLER_PORT: '19793' };
delete env.KAFKA_BROKERS;
const cli = join(loadStackConfig().root, 'deploy', 'local', 'src', 'cli.ts');

function stack(command: 'up' | 'down') {
  const result = spawnSync(process.execPath, [cli, command, 'kafka'], { env, encoding: 'utf8', timeout: 180_000 });
  assert.equal(result.status, 0, `stack ${command} kafka failed: ${result.stderr}`);
}

after(() => {
  spawnSync(process.execPath, [cli, 'down', 'kafka'], { env });
  rmSync(scratch, { recursive: true, force: true });
});

test('after a broker restart, topics, messages and committed offsets survive and the group rejoins where it left off', async () => {
  stack('up');
  const kafka = new Kafka({ clientId: 'smoke-restart', brokers: ['127.0.0.1:19792'], logLevel: logLevel.NOTHING });
  const topic = 'dataset.ready'; // created by the stack from the catalogue
  const groupId = 'trainer-dispatcher-smoke';

  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, messages: ['a', 'b', 'c'].map((value) => ({ key: value, value })) });
  await producer.disconnect();
  assert.deepEqual((await consumeAndCommit(kafka, topic, groupId, 3)).sort(), ['a', 'b', 'c']);

  stack('down');
  stack('up');

  const again = kafka.producer({ idempotent: true });
  await again.connect();
  await again.send({ topic, messages: [{ key: 'd', value: 'd' }] });
  await again.disconnect();
  assert.deepEqual(await consumeAndCommit(kafka, topic, groupId, 1), ['d'], 'only the message after the commit is delivered');

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  assert.equal(
    offsets.reduce((sum, p) => sum + Number(p.high), 0),
    4,
    'all four messages are on the log',
  );
});
