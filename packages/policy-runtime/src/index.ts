export { HeuristicRuntime } from './heuristic-runtime.ts';
export {
  LEARNED_RANKER_COST_USD_PER_PLAN,
  type LearnedRankerOptions,
  LearnedRankerRuntime,
  REFINE_MARGIN,
} from './learned-ranker-runtime.ts';
export {
  OPENAI_COMPATIBLE_DEFAULTS,
  type OpenAiCompatibleOptions,
  OpenAiCompatibleRuntime,
  PLANNER_SYSTEM_PROMPT,
} from './openai-compatible-runtime.ts';
export { PLAN_ANSWER_SHAPE, parsePlanAnswer } from './plan-answer.ts';
export { isPolicyError, PolicyError, type PolicyErrorCode } from './policy-error.ts';
export { type PolicyKind, type PolicyOutput, type PolicyRuntime, type PolicyUsage, runPolicy } from './policy-runtime.ts';
export { createRuntime, type PolicySpec, parsePolicySpec, type RuntimeDeps } from './policy-spec.ts';
export {
  parseRankerModel,
  RANKER_ARTIFACTS,
  RANKER_FORMAT,
  type RankerArtifacts,
  type RankerModel,
  rankerScore,
} from './ranker-model.ts';
export { RUNTIME_SPEC_TAG, registeredPolicySpec } from './registered-spec.ts';
export { DEFAULT_USD_PER_COMPUTE_HOUR, servingCostUsd } from './serving-cost.ts';
export { SimulatedLatencyRuntime } from './simulated-latency-runtime.ts';
export { isDropped, visibleConstraints } from './visible-constraints.ts';
