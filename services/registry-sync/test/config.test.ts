import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../src/config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:15432/db', KAFKA_BROKERS: '127.0.0.1:19092', AUTH_TOKENS: 't'.repeat(16) };

test("the production alias is 'production' unless REGISTRY_PRODUCTION_ALIAS names another", () => {
  assert.equal(readConfig(base).productionAlias, 'production');
  assert.equal(readConfig({ ...base, REGISTRY_PRODUCTION_ALIAS: 'prod-eu_1' }).productionAlias, 'prod-eu_1');
});

test('an alias MLflow would refuse or reserves is a configuration error naming the variable', () => {
  for (const alias of ['latest', 'Latest', 'v3', 'V12', 'prod alias', 'prod.eu', 'a'.repeat(256)]) {
    assert.throws(
      () => readConfig({ ...base, REGISTRY_PRODUCTION_ALIAS: alias }),
      (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && error.message.includes(`REGISTRY_PRODUCTION_ALIAS must be`),
      alias,
    );
  }
});

test("the production alias cannot be 'candidate', the alias each new candidate takes", () => {
  assert.throws(
    () => readConfig({ ...base, REGISTRY_PRODUCTION_ALIAS: 'candidate' }),
    (error: Error & { code?: string }) =>
      error.code === 'CONFIG_INVALID' && error.message.includes(`REGISTRY_PRODUCTION_ALIAS must not be 'candidate'`),
  );
});
