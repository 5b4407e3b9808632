/**
 * The README's main command, end to end (issue 12, item 6): the three paths of
 * seed §7 as the demo plays them, checked in its report and in MLflow.
 * Promotion: model 1 ramps step by step and the alias production moves to it.
 * Offline rejection: model 2, blind to allergies. Rollback: model 3, degraded
 * online, at allocation 0 with its reason. And the loop: model 4, trained on
 * the live traffic, is replayed against the new production model.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { MlflowClient } from '@planner/mlflow-client';
import { useStack } from '../support/stack.ts';

const config = useStack('postgres', 'kafka', 'mlflow', 's3');

test("the README's main command: promotion through the ramp, offline rejection, automatic rollback, and the loop back", async () => {
  const demo = spawnSync(process.execPath, [join(config.root, 'scripts', 'demo.ts'), '--households', '400', '--weeks', '5'], {
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  assert.equal(demo.status, 0, `demo failed:\n${demo.stdout}\n${demo.stderr}`);
  const out = demo.stdout;
  const mlflow = new MlflowClient({ trackingUri: config.mlflow.trackingUri });
  const model = /registered models:\/(planner_model_demo_\S+)\/1 /.exec(out)?.[1];
  assert.ok(model, out);

  // Promotion: every step of the schedule, then the alias.
  assert.match(out, /model 1 vs heuristic-baseline-v1: PASSED offline/);
  for (const [from, to] of [
    ['5.0%', '10.0%'],
    ['10.0%', '25.0%'],
    ['25.0%', '50.0%'],
    ['50.0%', '100.0%'],
  ] as const) {
    assert.match(
      out,
      new RegExp(
        `^\\s+\\d+ s\\s+ramp\\s+${from.replace('.', '\\.')} → ${to.replace('.', '\\.')}\\s+on a (healthy|treatment_better) check`,
        'm',
      ),
    );
  }
  assert.match(out, /^\s+\d+ s\s+promote\s+100\.0% → 100\.0%/m);
  const production = await mlflow.getModelVersionByAlias(model, 'production');
  assert.equal(production.version, '1');
  assert.equal(production.tags.stage, 'production');

  // Offline rejection.
  assert.match(out, /model 2 vs planner:\S+:v1: REJECTED offline/);
  assert.match(out, /^\s+FAIL\s+constraint_respect_is_100_percent: \d+ of \d+ candidate rows break a constraint/m);

  // Rollback, by itself, with its reason; the registry says so too.
  assert.match(out, /model 3 vs planner:\S+:v1: PASSED offline/);
  assert.match(out, /^\s+\d+ s\s+rollback\s+\d+\.\d% → 0\.0%\s+on a (guardrail_breached|treatment_worse|srm) check: \S+/m);
  const rolledBack = await mlflow.getModelVersion(model, '3');
  assert.equal(rolledBack.tags.stage, 'rolled_back');
  assert.ok((rolledBack.tags.rollback_reason ?? '').length > 0);

  // The loop: model 4 learns from the live traffic and is judged against the new production model.
  assert.match(
    out,
    /dataset planner\/\d{4}-\d{2}-\d{2}: \d+ rows .* over|requested dataset planner\/\d{4}-\d{2}-\d{2} over the live traffic/,
  );
  assert.match(out, new RegExp(`model 4 vs planner:${model}:v1: (PASSED|REJECTED) offline`));

  // The report: each model's lineage, from the event window to its end.
  assert.equal([...out.matchAll(/^\s+Lineage of planner:\S+:v\d /gm)].length, 4);
  assert.match(out, /^\s+end state\s+.*promoted/m);
  assert.match(out, /^\s+end state\s+.*rolled back|^\s+end state\s+.*rolled_back/m);
  assert.match(out, new RegExp(`^MLflow UI:\\s+${config.mlflow.trackingUri}$`, 'm'));
  const runUrl = /^training run\s+\S+\/#\/experiments\/\d+\/runs\/([0-9a-f]{32})$/m.exec(out);
  assert.ok(runUrl, out);
  const run = await mlflow.getRun(runUrl[1] as string);
  assert.equal(run.info.status, 'FINISHED');
  assert.ok(Number.isFinite(run.metrics.offline_score), 'the replay logged its score on the model run');
});
