import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

// Nothing listens on port 1: a suite pointed there must fail, loudly and at once, never skip.
const cases = [
  {
    suite: 'postgres.test.ts',
    env: { DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/planner' },
    names: /postgres \(external, postgres:\/\/127\.0\.0\.1:1\/planner\)/,
  },
  { suite: 'kafka.test.ts', env: { KAFKA_BROKERS: '127.0.0.1:1' }, names: /kafka \(external, 127\.0\.0\.1:1\)/ },
  { suite: 'mlflow.test.ts', env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:1' }, names: /mlflow \(external, http:\/\/127\.0\.0\.1:1\)/ },
  { suite: 's3.test.ts', env: { S3_ENDPOINT: 'http://127.0.0.1:1' }, names: /s3 \(external, http:\/\/127\.0\.0\.1:1/ },
];

for (const { suite, env, names } of cases) {
  test(`${suite} fails with a message naming the server when it cannot be reached`, () => {
    const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', join(import.meta.dirname, suite)], {
      encoding: 'utf8',
      // Without NODE_TEST_CONTEXT the child runs as a test run of its own, not as part of this one.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_TEST_CONTEXT')), ...env },
      timeout: 60_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 1, output);
    assert.match(output, /not reachable: /);
    assert.match(output, names);
    assert.match(output, /ℹ skipped 0/);
  });
}
