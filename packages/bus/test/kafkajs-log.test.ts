import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logLevel } from 'kafkajs';
import { kafkajsLevel, kafkajsLogLevel } from '../src/kafkajs-log.ts';

test('lines kafkajs retries or its caller handles go to debug; the rest keep their level', () => {
  assert.equal(kafkajsLogLevel(logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2): The coordinator is loading'), 'debug');
  assert.equal(kafkajsLogLevel(logLevel.WARN, 'The group is rebalancing, re-joining'), 'debug');
  // What sendMessages logs before it throws MESSAGE_TOO_LARGE to the bus, which dead-letters or parks the message.
  assert.equal(
    kafkajsLogLevel(logLevel.ERROR, 'The request included a message larger than the max message size the server will accept'),
    'debug',
  );
  assert.equal(
    kafkajsLogLevel(logLevel.ERROR, 'Failed to send messages: This record has failed the validation on broker and hence be rejected'),
    'debug',
  );
  assert.equal(kafkajsLogLevel(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded'), 'error');
  assert.equal(kafkajsLogLevel(logLevel.WARN, 'Consumer group heartbeat failed'), 'warn');
  assert.equal(kafkajsLogLevel(logLevel.INFO, 'Starting'), 'info');
});

test("the client logs from the service logger's level up", () => {
  assert.equal(kafkajsLevel('debug'), logLevel.DEBUG);
  assert.equal(kafkajsLevel('trace'), logLevel.DEBUG);
  assert.equal(kafkajsLevel('info'), logLevel.INFO);
  assert.equal(kafkajsLevel('warn'), logLevel.WARN);
  assert.equal(kafkajsLevel('error'), logLevel.ERROR);
  assert.equal(kafkajsLevel('fatal'), logLevel.ERROR);
  assert.equal(kafkajsLevel('silent'), logLevel.NOTHING);
});
