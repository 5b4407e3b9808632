import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigError, ConfigReader } from '../src/config-reader.ts';

test('typed values with defaults', () => {
  const env = new ConfigReader({ PORT: '8080', KAFKA_BROKERS: 'a:1, b:2', MODE: 'local' });
  const config = {
    port: env.int('PORT', 3000, { min: 1, max: 65535 }),
    brokers: env.list('KAFKA_BROKERS'),
    mode: env.oneOf('MODE', ['local', 'gpu'] as const),
    tracking: env.url('MLFLOW_TRACKING_URI', 'http://127.0.0.1:15000'),
  };
  env.done();
  assert.deepEqual(config, { port: 8080, brokers: ['a:1', 'b:2'], mode: 'local', tracking: 'http://127.0.0.1:15000' });
});

test('start-up stops with one message naming every bad variable', () => {
  const env = new ConfigReader({ PORT: 'eighty', MODE: 'cloud', MLFLOW_TRACKING_URI: 'not a url', KAFKA_BROKERS: 'localhost' });
  env.int('PORT', 3000, { min: 1, max: 65535 });
  env.oneOf('MODE', ['local', 'gpu'] as const);
  env.url('MLFLOW_TRACKING_URI');
  env.list('KAFKA_BROKERS', undefined, { test: /^[^:]+:\d+$/, describe: 'host:port' });
  env.string('DATABASE_URL');
  assert.throws(
    () => env.done(),
    (error: ConfigError) =>
      error.code === 'CONFIG_INVALID' &&
      error.message ===
        "invalid configuration: PORT must be an integer from 1 to 65535, got 'eighty'; MODE must be one of local, gpu, got 'cloud'; MLFLOW_TRACKING_URI must be a URL, got 'not a url'; KAFKA_BROKERS items must be host:port, got 'localhost'; DATABASE_URL is required",
  );
});

test('number() reads decimals within a range and names the variable otherwise', () => {
  const reader = new ConfigReader({ GATE_ALPHA: '0.05', GATE_TREATMENT_ALLOCATION: '0.2' });
  assert.equal(reader.number('GATE_ALPHA', 0.1, { min: 0, max: 0.5 }), 0.05);
  assert.equal(reader.number('MISSING', 3), 3);
  reader.number('GATE_TREATMENT_ALLOCATION', 0.05, { min: 0, max: 0.1 });
  assert.throws(() => reader.done(), /GATE_TREATMENT_ALLOCATION must be a number from 0 to 0.1, got '0.2'/);
});
