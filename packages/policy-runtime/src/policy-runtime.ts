import type { InputContext, WeeklyPlan } from '@planner/domain';
import { isPolicyError } from './policy-error.ts';

export type PolicyKind = 'heuristic' | 'learned' | 'openai-compatible';

/**
 * What one call cost, filled in by the runtime while it plans. It is an
 * argument rather than a return value so `plan(context)` stays a plain
 * "context → plan" call, and so a call that fails after spending tokens (an
 * LLM answering nonsense) still reports what it cost.
 */
export interface PolicyUsage {
  cost_usd: number;
}

/** One planning policy. Implementations are safe to call concurrently. */
export interface PolicyRuntime {
  readonly kind: PolicyKind;
  /** Which policy this is, e.g. `heuristic-baseline-v1` or `models:/planner_model/3`; replay rows carry it. */
  readonly id: string;
  /** Adds this call's cost to `usage` when given. */
  plan(context: InputContext, usage?: PolicyUsage): Promise<WeeklyPlan>;
}

/** One replay row's policy result. */
export interface PolicyOutput {
  /** null when the policy's answer was unusable; the row then counts as failed (and as violating). */
  plan: WeeklyPlan | null;
  latency_ms: number;
  cost_usd: number;
  /** Why `plan` is null. */
  error: string | null;
}

/**
 * `run_policy(model, input_context)` of the replay (seed §4.1): plans once,
 * timing the call. An unusable answer (POLICY_OUTPUT_INVALID) is the policy's
 * fault on this row and becomes `{plan: null, error}`; every other error —
 * unreachable server, unknown model, invalid context — is not the policy's
 * verdict on the row, so it propagates and the caller retries.
 */
export async function runPolicy(runtime: PolicyRuntime, context: InputContext): Promise<PolicyOutput> {
  const usage: PolicyUsage = { cost_usd: 0 };
  const started = performance.now();
  try {
    const plan = await runtime.plan(context, usage);
    return { plan, latency_ms: performance.now() - started, cost_usd: usage.cost_usd, error: null };
  } catch (error) {
    if (!isPolicyError(error, 'POLICY_OUTPUT_INVALID')) throw error;
    return { plan: null, latency_ms: performance.now() - started, cost_usd: usage.cost_usd, error: error.message };
  }
}
