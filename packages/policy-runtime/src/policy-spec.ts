import type { Recipe } from '@planner/domain';
import type { MlflowClient } from '@planner/mlflow-client';
import { HeuristicRuntime } from './heuristic-runtime.ts';
import { LearnedRankerRuntime } from './learned-ranker-runtime.ts';
import { modelRefOf } from './model-ref.ts';
import { OpenAiCompatibleRuntime } from './openai-compatible-runtime.ts';
import { PolicyError } from './policy-error.ts';
import type { PolicyRuntime } from './policy-runtime.ts';
import { SimulatedLatencyRuntime } from './simulated-latency-runtime.ts';

interface CommonSpec {
  /** Wrap the runtime in SimulatedLatencyRuntime: at least this many ms per call. */
  simulated_latency_ms?: number;
}

/**
 * A policy, described as JSON a replay plan or an event can carry. Never holds
 * a secret: an API key is named by the environment variable that holds it.
 */
export type PolicySpec =
  | (CommonSpec & { kind: 'heuristic' })
  | (CommonSpec & {
      kind: 'learned';
      /** `models:/<name>/<version>` or `models:/<name>@<alias>`. */
      model_uri: string;
      cost_usd_per_plan?: number;
    })
  | (CommonSpec & {
      kind: 'openai-compatible';
      base_url: string;
      model: string;
      /** The environment variable holding the bearer API key. */
      api_key_env?: string;
      timeout_ms?: number;
      seed?: number;
      max_tokens?: number;
      usd_per_1k_prompt_tokens?: number;
      usd_per_1k_completion_tokens?: number;
      /** null: send the codec's prompt alone (for models fine-tuned without a system message). */
      system_prompt?: string | null;
    });

export interface RuntimeDeps {
  /** Needed for `learned` specs. */
  mlflow?: MlflowClient;
  catalogue: readonly Recipe[];
  /** Where `api_key_env` is looked up; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

const FIELDS: Record<PolicySpec['kind'], readonly string[]> = {
  heuristic: [],
  learned: ['model_uri', 'cost_usd_per_plan'],
  'openai-compatible': [
    'base_url',
    'model',
    'api_key_env',
    'timeout_ms',
    'seed',
    'max_tokens',
    'usd_per_1k_prompt_tokens',
    'usd_per_1k_completion_tokens',
    'system_prompt',
  ],
};
const REQUIRED: Record<PolicySpec['kind'], readonly string[]> = {
  heuristic: [],
  learned: ['model_uri'],
  'openai-compatible': ['base_url', 'model'],
};
const NUMBERS = new Set([
  'simulated_latency_ms',
  'cost_usd_per_plan',
  'timeout_ms',
  'seed',
  'max_tokens',
  'usd_per_1k_prompt_tokens',
  'usd_per_1k_completion_tokens',
]);

function invalid(message: string): never {
  throw new PolicyError('POLICY_SPEC_INVALID', `policy spec: ${message}`);
}

/**
 * Checks a spec read from anywhere (JSON, an event, a CLI flag) and returns
 * it typed; unknown fields are refused, since a misspelt option silently
 * ignored would replay a different policy than the one asked for.
 */
export function parsePolicySpec(value: unknown): PolicySpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`must be an object, got ${JSON.stringify(value)}`);
  const spec = value as Record<string, unknown>;
  const kind = spec.kind;
  if (kind !== 'heuristic' && kind !== 'learned' && kind !== 'openai-compatible') {
    invalid(`kind must be heuristic, learned or openai-compatible, got ${JSON.stringify(kind)}`);
  }
  const allowed = new Set(['kind', 'simulated_latency_ms', ...FIELDS[kind]]);
  for (const key of Object.keys(spec)) if (!allowed.has(key)) invalid(`unknown field '${key}' for kind ${kind}`);
  for (const key of REQUIRED[kind]) if (spec[key] === undefined) invalid(`${key} is required for kind ${kind}`);
  for (const [key, v] of Object.entries(spec)) {
    if (key === 'kind' || v === undefined) continue;
    if (NUMBERS.has(key)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) invalid(`${key} must be a number ≥ 0, got ${JSON.stringify(v)}`);
    } else if (key === 'system_prompt') {
      if (v !== null && typeof v !== 'string') invalid(`system_prompt must be a string or null, got ${JSON.stringify(v)}`);
    } else if (typeof v !== 'string' || v === '') {
      invalid(`${key} must be a non-empty string, got ${JSON.stringify(v)}`);
    }
  }
  if (kind === 'learned') modelRefOf(spec.model_uri as string);
  return spec as unknown as PolicySpec;
}

/** Builds the runtime a spec describes; a `learned` spec loads (and validates) its model from the registry. */
export async function createRuntime(spec: PolicySpec, deps: RuntimeDeps): Promise<PolicyRuntime> {
  const checked = parsePolicySpec(spec);
  const runtime = await build(checked, deps);
  return checked.simulated_latency_ms === undefined ? runtime : new SimulatedLatencyRuntime(runtime, checked.simulated_latency_ms);
}

async function build(spec: PolicySpec, deps: RuntimeDeps): Promise<PolicyRuntime> {
  switch (spec.kind) {
    case 'heuristic':
      return new HeuristicRuntime(deps.catalogue);
    case 'learned': {
      if (deps.mlflow === undefined) invalid('a learned policy needs an MLflow client to load its model');
      const options = spec.cost_usd_per_plan === undefined ? {} : { costUsdPerPlan: spec.cost_usd_per_plan };
      return LearnedRankerRuntime.load(deps.mlflow, spec.model_uri, deps.catalogue, options);
    }
    case 'openai-compatible': {
      let apiKey: string | undefined;
      if (spec.api_key_env !== undefined) {
        apiKey = (deps.env ?? process.env)[spec.api_key_env];
        if (!apiKey) invalid(`api_key_env names ${spec.api_key_env}, which is not set`);
      }
      return new OpenAiCompatibleRuntime({
        baseUrl: spec.base_url,
        model: spec.model,
        catalogue: deps.catalogue,
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(spec.timeout_ms === undefined ? {} : { timeoutMs: spec.timeout_ms }),
        ...(spec.seed === undefined ? {} : { seed: spec.seed }),
        ...(spec.max_tokens === undefined ? {} : { maxTokens: spec.max_tokens }),
        ...(spec.usd_per_1k_prompt_tokens === undefined ? {} : { usdPer1kPromptTokens: spec.usd_per_1k_prompt_tokens }),
        ...(spec.usd_per_1k_completion_tokens === undefined ? {} : { usdPer1kCompletionTokens: spec.usd_per_1k_completion_tokens }),
        ...(spec.system_prompt === undefined ? {} : { systemPrompt: spec.system_prompt }),
      });
    }
  }
}
