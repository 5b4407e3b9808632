import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '@planner/local-stack';
import { useStack } from '../support/stack.ts';

const config = useStack('postgres', 'kafka', 'mlflow', 's3');

test("the README's main command runs end to end and leaves its run in MLflow and its object in S3", async () => {
  const demo = spawnSync(process.execPath, [join(config.root, 'scripts', 'demo.ts')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(demo.status, 0, `demo failed:\n${demo.stdout}\n${demo.stderr}`);
  assert.match(demo.stdout, /kafka\s+\d+ project topics present/);
  const runId = demo.stdout.match(/mlflow\s+run ([0-9a-f]{32})/)?.[1];
  assert.ok(runId, `the demo names its MLflow run:\n${demo.stdout}`);
  assert.match(demo.stdout, new RegExp(`MLflow UI: +${config.mlflow.trackingUri}/#/experiments/\\d+/runs/${runId}`));

  const response = await fetch(`${config.mlflow.trackingUri}/api/2.0/mlflow/runs/get?run_id=${runId}`);
  const { run } = (await response.json()) as { run: { info: { status: string }; data: { metrics: { key: string; value: number }[] } } };
  assert.equal(run.info.status, 'FINISHED');
  assert.ok((run.data.metrics.find((m) => m.key === 'stack_start_seconds')?.value ?? -1) >= 0);

  const artifacts = await fetch(`${config.mlflow.trackingUri}/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
  const { files } = (await artifacts.json()) as { files: { path: string }[] };
  assert.deepEqual(
    files.map((f) => f.path),
    ['smoke.txt'],
  );

  const s3 = s3Client(config);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: config.s3.bucket, Key: `smoke/${runId}.txt` }));
    assert.ok((head.ContentLength ?? 0) > 0);
  } finally {
    s3.destroy();
  }
});
