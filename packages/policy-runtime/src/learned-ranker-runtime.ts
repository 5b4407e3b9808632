import {
  baselinePlan,
  encodeInputContext,
  type InputContext,
  isRecipeAllowed,
  MEAL_SLOTS,
  type ModelRef,
  modelVersionUri,
  type Recipe,
  recipeTokens,
  type WeeklyPlan,
} from '@planner/domain';
import { type MlflowClient, MlflowError, type ModelVersion } from '@planner/mlflow-client';

import { modelRefOf } from './model-ref.ts';
import { PolicyError } from './policy-error.ts';
import type { PolicyRuntime, PolicyUsage } from './policy-runtime.ts';
import {
  contextRow,
  parseRankerModel,
  RANKER_ARTIFACTS,
  type RankerArtifacts,
  type RankerModel,
  scoreWithRow,
  tokenIndices,
} from './ranker-model.ts';
import { isDropped, visibleConstraints } from './visible-constraints.ts';

/**
 * The learned ranker's cost proxy per plan: scoring a week is a few hundred
 * thousand multiply-adds on a CPU already paid for, far below a cent's
 * millionth, and the heuristic baseline's proxy is 0 as well. A non-zero
 * constant would make every learned model "significantly costlier" than the
 * baseline at zero variance, which the gate would read as a real regression.
 * Override it (`costUsdPerPlan`) when a deployment prices scoring.
 */
export const LEARNED_RANKER_COST_USD_PER_PLAN = 0;

export interface LearnedRankerOptions {
  /** Default LEARNED_RANKER_COST_USD_PER_PLAN. */
  costUsdPerPlan?: number;
  /** What the runtime calls itself (`id`); `load` uses the resolved `models:/<name>/<version>`. */
  id?: string;
  /** Defaults REFINE_BELOW and REFINE_MARGIN. */
  refineBelow?: number;
  refineMargin?: number;
}

const BUDGET_TOLERANCE_USD = 1e-9;
/**
 * A planned meal is reconsidered only when the model scores it below this
 * (log-odds of the user keeping it): the model expects it to be swapped out.
 * Measured on the demo data, swapping anything less certain lost more
 * alignment with what users accepted than it gained.
 */
export const REFINE_BELOW = -4;
/** How far (log-odds) the replacement must outscore the meal it replaces. */
export const REFINE_MARGIN = 1.0;

function byId(a: Recipe, b: Recipe): number {
  return a.recipe_id < b.recipe_id ? -1 : a.recipe_id > b.recipe_id ? 1 : 0;
}

/** MLflow's answers, in the policy's codes: not-found and unreachable are the caller's to retry, not a verdict on the model. */
function registryError(error: unknown, what: string): unknown {
  if (!(error instanceof MlflowError)) return error;
  if (error.code === 'MLFLOW_NOT_FOUND') return new PolicyError('POLICY_MODEL_NOT_FOUND', `${what}: ${error.message}`, { cause: error });
  if (error.code === 'MLFLOW_UNREACHABLE') return new PolicyError('POLICY_UNREACHABLE', `${what}: ${error.message}`, { cause: error });
  return error;
}

async function resolveVersion(mlflow: MlflowClient, ref: ModelRef, uri: string): Promise<ModelVersion> {
  let version: ModelVersion;
  try {
    version =
      'version' in ref ? await mlflow.getModelVersion(ref.name, ref.version) : await mlflow.getModelVersionByAlias(ref.name, ref.alias);
  } catch (error) {
    throw registryError(error, `resolving ${uri}`);
  }
  const resolved = modelVersionUri(version.name, version.version);
  if (version.status === 'FAILED_REGISTRATION') {
    throw new PolicyError('POLICY_MODEL_INVALID', `${resolved} failed registration: ${version.statusMessage ?? 'no reason given'}`);
  }
  // Still being registered: not there yet, so the caller retries rather than judging the model.
  if (version.status !== 'READY') throw new PolicyError('POLICY_MODEL_NOT_FOUND', `${resolved} is ${version.status}, not READY yet`);
  if (version.runId === undefined || version.runId === '') {
    throw new PolicyError('POLICY_MODEL_INVALID', `${resolved} has no run; the ranker's files are read from its run's artifacts`);
  }
  return version;
}

async function downloadArtifacts(mlflow: MlflowClient, runId: string, resolved: string): Promise<RankerArtifacts> {
  const fetchOne = async (path: string) => {
    try {
      return await mlflow.downloadArtifact(runId, path);
    } catch (error) {
      // The version exists but its run lacks the file: the model is broken, retrying will not help.
      if (error instanceof MlflowError && error.code === 'MLFLOW_NOT_FOUND') {
        throw new PolicyError('POLICY_MODEL_INVALID', `${resolved}: run ${runId} has no artifact ${path}`, { cause: error });
      }
      throw registryError(error, `${resolved}: downloading ${path} from run ${runId}`);
    }
  };
  const [model, tokenizer, config] = await Promise.all([
    fetchOne(RANKER_ARTIFACTS.model),
    fetchOne(RANKER_ARTIFACTS.tokenizer),
    fetchOne(RANKER_ARTIFACTS.config),
  ]);
  return { model, tokenizer, config };
}

/**
 * The planner-ranker trained by `planner_ranker.py`: every catalogue recipe is
 * scored for the context (see `rankerScore`), and the scores refine the
 * heuristic baseline's week (see `plan`). The constraints it guards are the
 * household's *as the model sees them* (see `visibleConstraints`). Ties go to
 * the lower recipe_id. Deterministic: same model, catalogue and context → same plan.
 */
export class LearnedRankerRuntime implements PolicyRuntime {
  readonly kind = 'learned';
  readonly id: string;
  readonly model: RankerModel;
  readonly #recipes: Recipe[];
  readonly #recipeIndices: Int32Array[];
  readonly #cost: Float64Array;
  /** Per slot, the recipe indices that may be eaten in it, in id order. */
  readonly #bySlot: Int32Array[];
  readonly #costUsdPerPlan: number;
  readonly #refineBelow: number;
  readonly #refineMargin: number;
  /** The catalogue as given: the baseline caches its index per catalogue array. */
  readonly #catalogue: readonly Recipe[];
  readonly #indexById: ReadonlyMap<string, number>;

  constructor(model: RankerModel, catalogue: readonly Recipe[], options: LearnedRankerOptions = {}) {
    const cost = options.costUsdPerPlan ?? LEARNED_RANKER_COST_USD_PER_PLAN;
    if (!Number.isFinite(cost) || cost < 0) throw new PolicyError('POLICY_SPEC_INVALID', `costUsdPerPlan must be ≥ 0, got ${cost}`);
    this.id = options.id ?? 'learned-ranker';
    this.model = model;
    this.#costUsdPerPlan = cost;
    this.#refineBelow = options.refineBelow ?? REFINE_BELOW;
    this.#refineMargin = options.refineMargin ?? REFINE_MARGIN;
    // Sorted by id: ties break by recipe_id and the plan does not depend on the catalogue's order.
    this.#catalogue = catalogue;
    this.#recipes = [...catalogue].sort(byId);
    this.#indexById = new Map(this.#recipes.map((r, i) => [r.recipe_id, i]));
    this.#recipeIndices = this.#recipes.map((recipe) =>
      tokenIndices(
        model.recipeTokens,
        recipeTokens(recipe).filter((t) => !isDropped(t, model.dropFeaturePrefixes)),
      ),
    );
    this.#cost = Float64Array.from(this.#recipes, (r) => r.cost_per_serving);
    this.#bySlot = MEAL_SLOTS.map((slot) => Int32Array.from(this.#recipes.flatMap((r, i) => (r.meal_slots.includes(slot) ? [i] : []))));
  }

  /**
   * Resolves `models:/<name>/<version>` or `models:/<name>@<alias>` in the
   * registry, downloads the ranker's files from the version's run and
   * validates them. POLICY_MODEL_NOT_FOUND / POLICY_UNREACHABLE: retry later;
   * POLICY_MODEL_INVALID: the model itself is broken (the message says how).
   */
  static async load(
    mlflow: MlflowClient,
    modelUri: string,
    catalogue: readonly Recipe[],
    options: Omit<LearnedRankerOptions, 'id'> = {},
  ): Promise<LearnedRankerRuntime> {
    const version = await resolveVersion(mlflow, modelRefOf(modelUri), modelUri);
    const resolved = modelVersionUri(version.name, version.version);
    const artifacts = await downloadArtifacts(mlflow, version.runId as string, resolved);
    let model: RankerModel;
    try {
      model = parseRankerModel(artifacts);
    } catch (error) {
      if (error instanceof PolicyError) throw new PolicyError(error.code, `${resolved}: ${error.message}`, { cause: error });
      throw error;
    }
    return new LearnedRankerRuntime(model, catalogue, { ...options, id: resolved });
  }

  /** Every catalogue recipe's score for the context, by recipe_id. */
  scores(context: InputContext): Map<string, number> {
    const scores = this.#scores(context);
    return new Map(this.#recipes.map((r, i) => [r.recipe_id, scores[i] as number]));
  }

  #scores(context: InputContext): Float64Array {
    const drop = this.model.dropFeaturePrefixes;
    const features = encodeInputContext(context).features.filter((t) => !isDropped(t, drop));
    const row = contextRow(this.model, tokenIndices(this.model.contextTokens, features));
    return Float64Array.from(this.#recipeIndices, (indices) => scoreWithRow(this.model, row, indices));
  }

  /**
   * Refines the heuristic baseline's plan the way the model predicts the user
   * would: a meal the model scores below REFINE_BELOW is swapped for the
   * best-scored recipe that fits its slot, is
   * allowed by the constraints the model sees, is not yet in the week and
   * keeps the week within budget — when that recipe outscores it by more than
   * REFINE_MARGIN. Users keep most of what they are shown, so starting from
   * the shown plan and changing only what the model is confident about is
   * what beats it; a blind spot of the model (e.g. allergies) becomes a
   * violation here, for the gate to catch.
   */
  async plan(context: InputContext, usage?: PolicyUsage): Promise<WeeklyPlan> {
    const scores = this.#scores(context);
    const seen = visibleConstraints(context.constraints, context.household.size, this.model.dropFeaturePrefixes);
    const base = baselinePlan({ ...context, constraints: seen }, this.#catalogue);
    const allowed = this.#recipes.map((recipe) => isRecipeAllowed(recipe, seen));
    const size = context.household.size;
    const budget = seen.weekly_budget_usd;
    const price = (r: number) => (this.#cost[r] as number) * size;
    const inPlan = new Set<number>();
    let total = 0;
    for (const day of base.days) {
      for (const meal of day.meals) {
        const r = this.#indexById.get(meal.recipe_id);
        if (r === undefined) continue;
        inPlan.add(r);
        total += price(r);
      }
    }
    const days = base.days.map((day) => ({
      day: day.day,
      meals: day.meals.map((meal) => {
        const current = this.#indexById.get(meal.recipe_id);
        if (current === undefined || (scores[current] as number) >= this.#refineBelow) return meal;
        let best = -1;
        for (const r of this.#bySlot[MEAL_SLOTS.indexOf(meal.slot)] as Int32Array) {
          if (!allowed[r] || inPlan.has(r)) continue;
          if (budget !== null && price(r) > price(current) && total - price(current) + price(r) > budget + BUDGET_TOLERANCE_USD) continue;
          if (best < 0 || (scores[r] as number) > (scores[best] as number)) best = r;
        }
        if (best < 0 || (scores[best] as number) - (scores[current] as number) <= this.#refineMargin) return meal;
        inPlan.delete(current);
        inPlan.add(best);
        total += price(best) - price(current);
        return { slot: meal.slot, recipe_id: (this.#recipes[best] as Recipe).recipe_id };
      }),
    }));
    if (usage !== undefined) usage.cost_usd += this.#costUsdPerPlan;
    return { days };
  }
}
