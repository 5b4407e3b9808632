import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { BASELINE_POLICY_VERSION } from '@planner/domain';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { HeuristicRuntime } from '../src/heuristic-runtime.ts';
import { LearnedRankerRuntime } from '../src/learned-ranker-runtime.ts';
import { OpenAiCompatibleRuntime } from '../src/openai-compatible-runtime.ts';
import { isPolicyError } from '../src/policy-error.ts';
import { runPolicy } from '../src/policy-runtime.ts';
import { createRuntime, type PolicySpec, parsePolicySpec } from '../src/policy-spec.ts';
import { SimulatedLatencyRuntime } from '../src/simulated-latency-runtime.ts';
import { context, rankerFiles, recipe, serialise } from './fixtures.ts';

const catalogue = [recipe({ recipe_id: 'r-1' }), recipe({ recipe_id: 'r-2' })];

describe('parsePolicySpec', () => {
  test('the three kinds, as JSON would carry them', () => {
    const specs: PolicySpec[] = [
      { kind: 'heuristic' },
      { kind: 'learned', model_uri: 'models:/planner_model@production', simulated_latency_ms: 25 },
      { kind: 'openai-compatible', base_url: 'http://gpu-1:8000', model: 'planner-lora', api_key_env: 'VLLM_API_KEY', system_prompt: null },
    ];
    for (const spec of specs) assert.deepEqual(parsePolicySpec(JSON.parse(JSON.stringify(spec))), spec);
  });

  test('malformed specs are POLICY_SPEC_INVALID naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ kind: 'random' }, /kind must be heuristic, learned or openai-compatible/],
      [{ kind: 'learned' }, /model_uri is required/],
      [{ kind: 'learned', model_uri: 'runs:/abc/model' }, /models:\/<name>\/<version>/],
      [{ kind: 'heuristic', model_uri: 'models:/x/1' }, /unknown field 'model_uri' for kind heuristic/],
      [{ kind: 'openai-compatible', base_url: 'http://x', model: 'm', timeout_ms: -1 }, /timeout_ms must be a number ≥ 0/],
      [{ kind: 'openai-compatible', base_url: 'http://x', model: '' }, /model must be a non-empty string/],
      [{ kind: 'openai-compatible', base_url: 'http://x', model: 'm', api_key: 'sk-secret' }, /unknown field 'api_key'/],
    ];
    for (const [spec, reason] of cases) {
      assert.throws(
        () => parsePolicySpec(spec),
        (e) => isPolicyError(e, 'POLICY_SPEC_INVALID') && reason.test(e.message),
        String(reason),
      );
    }
  });
});

describe('createRuntime', () => {
  test('heuristic, optionally behind a simulated latency', async () => {
    const plain = await createRuntime({ kind: 'heuristic' }, { catalogue });
    assert.ok(plain instanceof HeuristicRuntime);
    const slow = await createRuntime({ kind: 'heuristic', simulated_latency_ms: 5 }, { catalogue });
    assert.ok(slow instanceof SimulatedLatencyRuntime);
    assert.equal(slow.delayMs, 5);
    assert.equal(slow.id, BASELINE_POLICY_VERSION);
  });

  test('openai-compatible reads its API key from the environment variable the spec names', async () => {
    const spec: PolicySpec = {
      kind: 'openai-compatible',
      base_url: 'http://gpu-1:8000',
      model: 'planner-lora',
      api_key_env: 'VLLM_API_KEY',
    };
    const runtime = await createRuntime(spec, { catalogue, env: { VLLM_API_KEY: 'sk-local' } });
    assert.ok(runtime instanceof OpenAiCompatibleRuntime);
    assert.equal(runtime.url, 'http://gpu-1:8000/v1/chat/completions');
    await assert.rejects(
      createRuntime(spec, { catalogue, env: {} }),
      (e) => isPolicyError(e, 'POLICY_SPEC_INVALID') && /VLLM_API_KEY, which is not set/.test(e.message),
    );
  });

  test('learned without an MLflow client is POLICY_SPEC_INVALID', async () => {
    await assert.rejects(createRuntime({ kind: 'learned', model_uri: 'models:/m/1' }, { catalogue }), (e) =>
      isPolicyError(e, 'POLICY_SPEC_INVALID'),
    );
  });

  describe('learned, against the real MLflow registry', () => {
    // Fails, naming the server, when MLflow does not answer; never skips.
    const stack = loadStackConfig();
    const mlflow = new MlflowClient(mlflowConfigFromEnv({ ...process.env, MLFLOW_TRACKING_URI: stack.mlflow.trackingUri }));
    const name = `policy-spec-ranker-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    before(async () => {
      await assertStackReachable(stack, ['mlflow']);
      const experimentId = await mlflow.getOrCreateExperiment('policy-runtime-test');
      const run = await mlflow.createRun({ experimentId, runName: name });
      const files = serialise(rankerFiles(['region=north'], ['cuisine=italian'], 0, [1], [[1]]));
      await mlflow.uploadArtifact(run.info.runId, 'model/model.json', files.model, 'application/json');
      await mlflow.uploadArtifact(run.info.runId, 'tokenizer/tokenizer.json', files.tokenizer, 'application/json');
      await mlflow.uploadArtifact(run.info.runId, 'config/config.json', files.config, 'application/json');
      await mlflow.createRegisteredModel(name);
      const version = await mlflow.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
      await mlflow.waitForModelVersionReady(name, version.version, 30_000);
    });

    test('loads the model the URI names', async () => {
      const runtime = await createRuntime(
        { kind: 'learned', model_uri: `models:/${name}/1`, cost_usd_per_plan: 0.00002 },
        { mlflow, catalogue },
      );
      assert.ok(runtime instanceof LearnedRankerRuntime);
      assert.equal(runtime.id, `models:/${name}/1`);
      assert.equal((await runPolicy(runtime, context())).cost_usd, 0.00002);
      await assert.rejects(createRuntime({ kind: 'learned', model_uri: `models:/${name}/2` }, { mlflow, catalogue }), (e) =>
        isPolicyError(e, 'POLICY_MODEL_NOT_FOUND'),
      );
    });
  });
});
