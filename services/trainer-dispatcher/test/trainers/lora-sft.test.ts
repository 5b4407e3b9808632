/**
 * lora_sft.py end to end on CPU, so the trainer cannot silently break between
 * GPU runs: a tiny random Llama built from the fixture dataset's own text
 * (make_base_model.py, no model hub), fine-tuned through the job contract
 * against the stack's real MLflow server, registered, and loaded back with
 * the official MLflow client. Its Python is the LoRA CPU environment
 * (requirements-lora-cpu.txt), installed once per machine outside the checkout;
 * `./lifecycle test` installs it before the tests start.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadStackConfig, loraPython, toolsPython } from '@planner/local-stack';
import {
  artifact,
  assertExit,
  createRun,
  experiment,
  history,
  listArtifacts,
  MLFLOW,
  mlflow,
  type Recipe,
  reachable,
  registerRunModel,
  runData,
  runPython,
  runTrainer,
  TRAINERS,
} from './trainer-harness.ts';

const MAKE_DATASET = join(import.meta.dirname, 'fixtures', 'make_dataset.py');
const PACKING_CHECK = join(import.meta.dirname, 'packing_check.py');
const GENERATE_WITH_MLFLOW = join(import.meta.dirname, 'generate_with_mlflow.py');
const work = mkdtempSync(join(tmpdir(), 'lora-sft-test-'));
const dataset = join(work, 'dataset');
const base = join(work, 'base-model');
const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const LORA_TIMEOUT_MS = 300_000;
let python = '';
let experimentId = '';

const RECIPE: Recipe = {
  recipe_id: 'planner-lora-tiny@1',
  architecture: 'tiny-llama+lora',
  backend: 'local',
  base_model: base,
  lora_r: 8,
  lora_alpha: 16,
  // Every linear layer: a random base leaves attention alone too little to learn from in two short epochs.
  target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  learning_rate: 0.01,
  batch_size: 4,
  epochs: 2,
  seed: 7,
  max_length: 1024,
  eval_rows: 2,
};

let trained: Promise<{ runId: string; output: string; stdout: string }> | undefined;
/** One fine-tuning run, shared by the tests that read it. */
function trainedOnce(): Promise<{ runId: string; output: string; stdout: string }> {
  trained ??= (async () => {
    const runId = await createRun(experimentId, RECIPE, `fixture-${unique}`);
    const output = join(work, `out-${runId}`);
    const result = runTrainer(python, work, 'lora_sft.py', dataset, RECIPE, output, {
      extraEnv: { MLFLOW_RUN_ID: runId },
      timeoutMs: LORA_TIMEOUT_MS,
    });
    assertExit(result, 0, 'lora_sft.py');
    return { runId, output, stdout: result.stdout };
  })();
  return trained;
}

describe('lora_sft on CPU', () => {
  before(async () => {
    await reachable('MLflow', `${MLFLOW}/health`, 'start the stack (./lifecycle stack up) or set MLFLOW_TRACKING_URI');
    python = loraPython(loadStackConfig(), (venv) => console.log(`installing the LoRA CPU environment into ${venv}`));
    const made = runPython(python, [MAKE_DATASET, '--out', dataset, '--rows', '80', '--recipes', '30']);
    assertExit(made, 0, 'make_dataset.py');
    const built = runPython(python, [join(TRAINERS, 'make_base_model.py'), '--dataset', dataset, '--out', base, '--size', 'tiny']);
    assertExit(built, 0, 'make_base_model.py');
    experimentId = await experiment('reference-trainer-tests');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('packing: best fit on a hand-computed case; a packed sequence gives each example its own logits and loss', () => {
    const result = runPython(python, [PACKING_CHECK, '--base-model', base], { extraEnv: { PYTHONPATH: TRAINERS } });
    assertExit(result, 0, 'packing_check.py');
    const figures = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { logit_gap: number; unpacked_leak: number };
    assert.ok(figures.logit_gap < 1e-4 && figures.unpacked_leak > 1e-3, result.stdout);
  });

  test('fine-tunes through the job contract: losses per epoch, tokens/s, eval_score, the chosen step, model/tokenizer/config', async () => {
    const { runId, output, stdout } = await trainedOnce();
    for (const key of ['training_loss', 'validation_loss']) {
      assert.deepEqual(
        (await history(runId, key)).map((p) => p.step),
        [1, 2],
        `${key}: one point per epoch`,
      );
    }
    const validation = (await history(runId, 'validation_loss')).map((p) => p.value);
    assert.ok((validation[1] ?? Infinity) < (validation[0] ?? -Infinity), `validation loss decreases: ${validation.join(', ')}`);

    const { params, metrics } = await runData(runId);
    assert.ok((metrics.train_tokens_per_second ?? 0) > 0);
    assert.ok((metrics.eval_score ?? -1) >= 0 && (metrics.eval_score ?? 2) <= 1, `eval_score ${metrics.eval_score}`);
    assert.equal(metrics.peak_gpu_memory_gib, undefined, 'no GPU, no GPU memory figure');
    assert.equal(params.learning_rate, '0.01', "the dispatcher's params stay as they were");
    // The fixture's 68 train rows have about 415 tokens each: two fit a 1024-token sequence, three do not. So 34
    // sequences, and 4 examples per step are 2 sequences, run in one pass without a GPU.
    assert.deepEqual(
      [params.pack_length, params.micro_batch_size, params.gradient_accumulation_steps, params.gradient_checkpointing, params.attention],
      ['1024', '2', '1', 'false', 'sdpa'],
    );
    assert.match(stdout, /34 packed sequences per epoch \(2\.00 examples each\)/);

    const modelFiles = await listArtifacts(runId, 'model');
    for (const file of ['model/MLmodel', 'model/lora_pyfunc.py', 'model/artifacts'])
      assert.ok(modelFiles.includes(file), `${file} in ${modelFiles.join(', ')}`);
    assert.ok((await listArtifacts(runId, 'model/artifacts/adapter')).includes('model/artifacts/adapter/adapter_config.json'));
    assert.ok((await listArtifacts(runId, 'tokenizer')).includes('tokenizer/tokenizer.json'));
    const config = JSON.parse((await artifact(runId, 'config/config.json')).toString()) as {
      format: string;
      training: Record<string, unknown>;
      generation: { max_new_tokens: number };
    };
    assert.equal(config.format, 'lora-sft/2');
    assert.deepEqual(config.training, {
      pack_length: 1024,
      micro_batch_size: 2,
      gradient_accumulation_steps: 1,
      gradient_checkpointing: false,
      attention: 'sdpa',
      sequences_per_epoch: 34,
    });
    assert.ok(existsSync(join(output, 'model', 'MLmodel')));
  });

  test('a registered adapter loads with the official MLflow client and generates a plan that is not the base model alone', async () => {
    const { runId } = await trainedOnce();
    const uri = await registerRunModel(runId, `planner-lora-test-${unique}`);

    const out = join(work, 'generated-with-mlflow.json');
    // Nothing of trainers/ on sys.path: the model must carry its own code.
    const generated = runPython(python, [GENERATE_WITH_MLFLOW, '--model-uri', uri, '--dataset', dataset, '--out', out], {
      extraEnv: { PYTHONPATH: '' },
      timeoutMs: LORA_TIMEOUT_MS,
    });
    assertExit(generated, 0, 'generate_with_mlflow.py');
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      inputs: string[];
      outputs: string[];
      params: string[];
      requirements: string[];
      example_is_a_dataset_prompt: boolean;
      plan: string;
      base_plan: string;
    };
    assert.deepEqual([result.inputs, result.outputs, result.params], [['prompt'], ['plan_json'], ['max_new_tokens']]);
    assert.ok(result.example_is_a_dataset_prompt, 'the input example is a prompt of the dataset');
    assert.deepEqual(
      result.requirements.map((r) => r.split('==')[0]),
      ['mlflow', 'pandas', 'torch', 'transformers', 'peft'],
      `pinned, not inferred: ${result.requirements.join(', ')}`,
    );
    assert.ok(result.plan.length > 0, 'a plan was generated');
    assert.notEqual(result.plan, result.base_plan, 'the adapter changes what the base model generates');
  });

  test('out of memory ends the job with one line naming the recipe fields to change, and its run FAILED', async () => {
    // Packed 8192-token sequences eight at a time need about 9 GB for one layer's attention weights on CPU; the job's
    // address space is capped at 8 GiB, so PyTorch's allocator refuses that at once instead of swapping.
    const recipe = { ...RECIPE, max_length: 8192, micro_batch_size: 8, batch_size: 64, epochs: 1, eval_rows: 1 };
    const runId = await createRun(experimentId, recipe, `fixture-${unique}`);
    const file = join(work, 'out-of-memory.json');
    writeFileSync(file, JSON.stringify(recipe));
    const lora = join(TRAINERS, 'lora_sft.py');
    const result = runPython(
      'prlimit',
      [`--as=${8 * 2 ** 30}`, python, lora, '--dataset', dataset, '--recipe', file, '--output', join(work, 'oom')],
      {
        extraEnv: { MLFLOW_RUN_ID: runId, OMP_NUM_THREADS: '2', MALLOC_ARENA_MAX: '2' },
        timeoutMs: LORA_TIMEOUT_MS,
      },
    );
    assertExit(result, 1, 'lora_sft.py out of memory');
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      'lora_sft: out of memory with micro_batch_size 8, pack_length 8192, gradient_checkpointing false: lower micro_batch_size ' +
        'or pack_length/max_length, or set gradient_checkpointing true, or set quantization "4bit"',
    );
    const { run } = await mlflow<{ run: { info: { status: string } } }>(`/api/2.0/mlflow/runs/get?run_id=${runId}`);
    assert.equal(run.info.status, 'FAILED');
  });

  test('an invalid throughput field is refused with exit code 2, naming it, before torch is imported', () => {
    // The stack's MLflow virtualenv has no torch: a recipe error must come first.
    const withoutTorch = toolsPython(loadStackConfig());
    for (const [recipe, field] of [
      [{ ...RECIPE, gradient_checkpointing: 'yes' }, 'gradient_checkpointing'],
      [{ ...RECIPE, pack_length: 8 }, 'pack_length'],
      [{ ...RECIPE, micro_batch_size: 0 }, 'micro_batch_size'],
      [{ ...RECIPE, attention: 'flash' }, 'attention'],
    ] as const) {
      const result = runTrainer(withoutTorch, work, 'lora_sft.py', dataset, recipe, join(work, 'x'));
      assertExit(result, 2, `lora_sft.py with a bad ${field}`);
      assert.match(result.stderr, new RegExp(`'${field}'`));
    }
    const help = runPython(withoutTorch, [join(TRAINERS, 'lora_sft.py'), '--help']);
    assertExit(help, 0, 'lora_sft.py --help');
    // A valid recipe gets as far as the torch stack, which this Python lacks: one line naming what to install.
    const valid = runTrainer(withoutTorch, work, 'lora_sft.py', dataset, RECIPE, join(work, 'x'));
    assertExit(valid, 1, 'lora_sft.py without torch');
    assert.match(valid.stderr, /lora_sft: missing Python package '\w+': .*requirements-gpu\.txt.*requirements-lora-cpu\.txt/);
  });
});
