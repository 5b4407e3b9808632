import { setTimeout as sleep } from 'node:timers/promises';
import type { InputContext, WeeklyPlan } from '@planner/domain';
import { PolicyError } from './policy-error.ts';
import type { PolicyRuntime, PolicyUsage } from './policy-runtime.ts';

/**
 * Another runtime, made to take at least `delayMs` longer per call: the
 * replay benchmark's fixed simulated inference latency, standing in for a GPU
 * model's time per plan without a GPU. Same kind, id and plans as the runtime
 * it wraps; the wait does not block the event loop, so concurrent calls overlap.
 */
export class SimulatedLatencyRuntime implements PolicyRuntime {
  readonly kind: PolicyRuntime['kind'];
  readonly id: string;
  readonly delayMs: number;
  readonly #inner: PolicyRuntime;

  constructor(inner: PolicyRuntime, delayMs: number) {
    if (!Number.isFinite(delayMs) || delayMs < 0)
      throw new PolicyError('POLICY_SPEC_INVALID', `simulated latency must be ≥ 0 ms, got ${delayMs}`);
    this.kind = inner.kind;
    this.id = inner.id;
    this.delayMs = delayMs;
    this.#inner = inner;
  }

  async plan(context: InputContext, usage?: PolicyUsage): Promise<WeeklyPlan> {
    const until = performance.now() + this.delayMs;
    // Node's timers may fire up to a millisecond early; "at least delayMs" is the promise.
    for (let left = this.delayMs; left > 0; left = until - performance.now()) await sleep(Math.ceil(left));
    return this.#inner.plan(context, usage);
  }
}
