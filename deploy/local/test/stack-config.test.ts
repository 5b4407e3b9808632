import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientEnv, loadStackConfig } from '../src/stack-config.ts';

test('with no overrides every server is local, on the stack ports', () => {
  const config = loadStackConfig({ HOME: '/home/u' });
  assert.equal(config.kafka.external, false);
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:19092']);
  assert.equal(config.postgres.url, 'postgres://postgres:postgres@127.0.0.1:15432/planner');
  assert.equal(config.mlflow.trackingUri, 'http://127.0.0.1:15000');
  assert.equal(config.s3.endpoint, 'http://127.0.0.1:19000');
  assert.equal(config.cacheDir, '/home/u/.cache/planner-lifecycle');
});

test('a variable naming existing infrastructure makes that part external and moves nothing else', () => {
  const config = loadStackConfig({
    KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
    MLFLOW_TRACKING_URI: 'https://mlflow.internal',
  });
  assert.equal(config.kafka.external, true);
  assert.deepEqual(config.kafka.brokers, ['kafka-1:9092', 'kafka-2:9092']);
  assert.equal(config.mlflow.external, true);
  assert.equal(config.postgres.external, false);
  assert.equal(config.s3.external, false);
  assert.equal(clientEnv(config).KAFKA_BROKERS, 'kafka-1:9092,kafka-2:9092');
});

test('ports move with their variables', () => {
  const config = loadStackConfig({ PL_KAFKA_PORT: '29092', PL_POSTGRES_PORT: '25432' });
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:29092']);
  assert.match(config.postgres.url, /:25432\//);
});

test('a bad value stops with a message naming the variable', () => {
  assert.throws(() => loadStackConfig({ PL_KAFKA_PORT: 'ninety' }), /PL_KAFKA_PORT must be a TCP port \(1-65535\), got 'ninety'/);
  assert.throws(() => loadStackConfig({ PL_S3_PORT: '70000' }), /PL_S3_PORT must be a TCP port/);
  assert.throws(() => loadStackConfig({ KAFKA_BROKERS: 'localhost' }), /KAFKA_BROKERS must be host:port/);
  assert.throws(() => loadStackConfig({ DATABASE_URL: 'not a url' }), /DATABASE_URL must be a URL/);
});

test('Prometheus is local on 19090 scraping every 15 s unless PROMETHEUS_URL names one; its port and interval move with their variables', () => {
  const local = loadStackConfig({ HOME: '/home/u' });
  assert.deepEqual(local.prometheus, { external: false, url: 'http://127.0.0.1:19090', port: 19090, scrapeIntervalSeconds: 15 });
  const moved = loadStackConfig({ PL_PROMETHEUS_PORT: '29090', PL_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '2' });
  assert.equal(moved.prometheus.url, 'http://127.0.0.1:29090');
  assert.equal(moved.prometheus.scrapeIntervalSeconds, 2);
  assert.equal(loadStackConfig({ PROMETHEUS_URL: 'http://prometheus:9090' }).prometheus.external, true);
  assert.throws(
    () => loadStackConfig({ PL_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '0' }),
    /PL_PROMETHEUS_SCRAPE_INTERVAL_SECONDS must be a whole number above 0, got '0'/,
  );
});
