import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { MlflowClient } from '@planner/mlflow-client';
import { useStack } from '../support/stack.ts';

const config = useStack('postgres', 'kafka', 'mlflow', 's3');

test("the README's main command runs the lifecycle end to end and reports both gate decisions", async () => {
  const demo = spawnSync(
    process.execPath,
    [join(config.root, 'scripts', 'demo.ts'), '--households', '400', '--weeks', '5', '--traffic-households', '2000'],
    {
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  assert.equal(demo.status, 0, `demo failed:\n${demo.stdout}\n${demo.stderr}`);
  const out = demo.stdout;
  assert.match(
    out,
    /^dataset version\s+planner\/2026-03-01\s+digest [0-9a-f]{16}…\s+s3:\/\/planner-lifecycle\/demo_\S+\/datasets\/planner\/2026-03-01\/$/m,
  );
  assert.match(out, /model 1 \(planner-ranker@1\) vs heuristic baseline on \d+ evaluation rows/);
  assert.match(out, /^\s+decision: PASSED/m);
  assert.match(out, /experiment experiment-[0-9a-f]{16}: treatment \S+ → planner:planner_model_demo_\S+:v1 at 5\.0% of traffic/);
  assert.match(out, /^live traffic on the experiment/m);
  // The table: one row per variant, the treatment's households a small share of the 2,000.
  const rows = [...out.matchAll(/^(experiment-[0-9a-f]{16}-(?:control|treatment))\s+(\d+)\s+(\d+)\s/gm)];
  assert.equal(rows.length, 2, out);
  assert.equal(
    rows.reduce((n, r) => n + Number(r[2]), 0),
    2000,
  );
  assert.match(out, /^experiment-monitor check: (HEALTHY|TREATMENT_BETTER|INCONCLUSIVE) {2}acceptance treatment − control /m);
  assert.match(out, /^\s+decision: REJECTED/m);
  assert.match(out, /^\s+FAIL\s+constraint_respect_is_100_percent: \d+ of \d+ candidate rows break a constraint/m);
  assert.match(out, new RegExp(`^MLflow UI:\\s+${config.mlflow.trackingUri}$`, 'm'));

  const runUrl = /^training run\s+\S+\/#\/experiments\/\d+\/runs\/([0-9a-f]{32})$/m.exec(out);
  assert.ok(runUrl, out);
  const run = await new MlflowClient({ trackingUri: config.mlflow.trackingUri }).getRun(runUrl[1] as string);
  assert.equal(run.info.status, 'FINISHED');
  assert.ok(Number.isFinite(run.metrics.offline_score), 'the replay logged its score on the model run');
});
