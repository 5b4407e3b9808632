import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../src/config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:15432/db', KAFKA_BROKERS: '127.0.0.1:19092', AUTH_TOKENS: 't'.repeat(16) };

test('the replay-evaluator is at REPLAY_EVALUATOR_URL, by default its default port on this host', () => {
  assert.equal(readConfig(base).replayEvaluatorUrl, 'http://127.0.0.1:8084');
  assert.equal(
    readConfig({ ...base, REPLAY_EVALUATOR_URL: 'http://replay-evaluator:8084' }).replayEvaluatorUrl,
    'http://replay-evaluator:8084',
  );
});

test('a REPLAY_EVALUATOR_URL that is no http(s) URL is a configuration error naming the variable', () => {
  for (const [value, problem] of [
    ['replay evaluator', "REPLAY_EVALUATOR_URL must be a URL, got 'replay evaluator'"],
    ['replay-evaluator:8084', "REPLAY_EVALUATOR_URL must be an http or https URL, got 'replay-evaluator:8084'"],
  ]) {
    assert.throws(
      () => readConfig({ ...base, REPLAY_EVALUATOR_URL: value }),
      (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && error.message === `invalid configuration: ${problem}`,
      value,
    );
  }
});
