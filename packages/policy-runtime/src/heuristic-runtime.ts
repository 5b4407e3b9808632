import { BASELINE_POLICY_VERSION, baselinePlan, type InputContext, type Recipe, type WeeklyPlan } from '@planner/domain';
import type { PolicyRuntime, PolicyUsage } from './policy-runtime.ts';

/**
 * The deterministic heuristic baseline (`baselinePlan`: constraint-safe,
 * budget-aware, pantry-aware) as a runtime. In-process and microseconds a
 * week, so its cost proxy is 0.
 */
export class HeuristicRuntime implements PolicyRuntime {
  readonly kind = 'heuristic';
  readonly id = BASELINE_POLICY_VERSION;
  readonly #catalogue: readonly Recipe[];

  /** Keep and pass the same array: `baselinePlan` indexes a catalogue once per array. */
  constructor(catalogue: readonly Recipe[]) {
    this.#catalogue = catalogue;
  }

  async plan(context: InputContext, _usage?: PolicyUsage): Promise<WeeklyPlan> {
    return baselinePlan(context, this.#catalogue);
  }
}
