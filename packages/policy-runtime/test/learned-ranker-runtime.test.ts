import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  baselinePlan,
  checkPlan,
  encodeInputContext,
  generateCatalogue,
  generateHouseholds,
  type InputContext,
  indexRecipes,
  type MealSlot,
  pantrySnapshot,
  planMeals,
  recipeTokens,
  SeededRandom,
  type WeeklyPlan,
} from '@planner/domain';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import { MlflowClient, mlflowConfigFromEnv } from '@planner/mlflow-client';
import { LEARNED_RANKER_COST_USD_PER_PLAN, LearnedRankerRuntime, REFINE_MARGIN } from '../src/learned-ranker-runtime.ts';
import { isPolicyError } from '../src/policy-error.ts';
import { runPolicy } from '../src/policy-runtime.ts';
import { parseRankerModel } from '../src/ranker-model.ts';
import { AS_OF, constraints, context, type RankerFiles, rankerFiles, recipe, serialise } from './fixtures.ts';

// Five recipes: two breakfasts, three lunch-or-dinner mains; r-b and r-d carry peanut.
const catalogue = [
  recipe({ recipe_id: 'r-a', cuisine: 'italian', meal_slots: ['breakfast'] }),
  recipe({ recipe_id: 'r-b', cuisine: 'thai', ingredients: ['peanut'], allergens: ['peanut'], meal_slots: ['breakfast'] }),
  recipe({ recipe_id: 'r-c', cuisine: 'italian', meal_slots: ['lunch', 'dinner'] }),
  recipe({ recipe_id: 'r-d', cuisine: 'thai', ingredients: ['peanut'], allergens: ['peanut'], meal_slots: ['lunch', 'dinner'] }),
  recipe({ recipe_id: 'r-e', cuisine: 'indian', meal_slots: ['lunch', 'dinner'] }),
];
const byId = indexRecipes(catalogue);

// A hand-made ranker: north households like thai food and breakfast slots; an allergy to peanut weighs −3 on peanut recipes.
const RECIPE_TOKENS = ['allergen=peanut', 'cuisine=indian', 'cuisine=thai', 'slot=breakfast'];
const U = [0, 0.5, 0.25, 0];
const ALLERGY_ROW = [-3, 0, 0, 0];
const NORTH_ROW = [0, 0, 2, 0.5];
const normalFiles = rankerFiles(['allergy=peanut', 'region=north'], RECIPE_TOKENS, -1, U, [ALLERGY_ROW, NORTH_ROW]);
// The same model trained blind to allergies: the trainer dropped every `allergy=` token, so its vocabulary lacks them.
const blindFiles = rankerFiles(['region=north'], RECIPE_TOKENS, -1, U, [NORTH_ROW], ['allergy=']);

const allergic = context({ constraints: constraints({ allergies: ['peanut'] }) });
const notAllergic = context();

/**
 * Hand scores (bias −1; only tokens in the vocabulary count):
 *   allergic north household:  r-a −1+0.5 = −0.5 · r-b −1+0.25−3+2+0.5 = −1.25 · r-c −1 · r-d −1+0.25−3+2 = −1.75 · r-e −1+0.5 = −0.5
 *   other north household:     r-a −0.5 · r-b −1+0.25+2+0.5 = 1.75 · r-c −1 · r-d −1+0.25+2 = 1.25 · r-e −0.5
 */
const ALLERGIC_SCORES = { 'r-a': -0.5, 'r-b': -1.25, 'r-c': -1, 'r-d': -1.75, 'r-e': -0.5 };
const OTHER_SCORES = { 'r-a': -0.5, 'r-b': 1.75, 'r-c': -1, 'r-d': 1.25, 'r-e': -0.5 };

function _week(plan: WeeklyPlan): string[][] {
  assert.deepEqual(
    plan.days.map((d) => d.day),
    [0, 1, 2, 3, 4, 5, 6],
  );
  return plan.days.map((d) => {
    assert.deepEqual(
      d.meals.map((m) => m.slot),
      ['breakfast', 'lunch', 'dinner'] satisfies MealSlot[],
    );
    return d.meals.map((m) => m.recipe_id);
  });
}

function approxScores(actual: Map<string, number>, expected: Record<string, number>): void {
  for (const [id, score] of Object.entries(expected))
    assert.ok(Math.abs((actual.get(id) as number) - score) < 1e-12, `${id}: ${actual.get(id)}`);
}

/** The hand model's scores lie between −2 and 2: reconsider every meal it scores below 0. */
function local(files: RankerFiles, catalogueOverride = catalogue): LearnedRankerRuntime {
  return new LearnedRankerRuntime(parseRankerModel(serialise(files)), catalogueOverride, { refineBelow: 0 });
}

describe('planning (model built in memory)', () => {
  test('scores follow the formula by hand', () => {
    approxScores(local(normalFiles).scores(allergic), ALLERGIC_SCORES);
    approxScores(local(normalFiles).scores(notAllergic), OTHER_SCORES);
  });

  test('it refines the baseline: only meals scored below the threshold and outscored by more than the margin change', async () => {
    const world = generateCatalogue(21);
    const runtime = local(normalFiles, world);
    for (const ctx of [notAllergic, allergic]) {
      const scores = runtime.scores(ctx);
      const base = baselinePlan(ctx, world);
      const refined = await runtime.plan(ctx);
      const before = new Map(planMeals(base).map((m) => [`${m.day}/${m.slot}`, m.recipe_id]));
      let changed = 0;
      for (const meal of planMeals(refined)) {
        const was = before.get(`${meal.day}/${meal.slot}`) as string;
        if (was === meal.recipe_id) continue;
        changed++;
        assert.ok((scores.get(was) as number) < 0, `${was} was reconsidered`);
        assert.ok((scores.get(meal.recipe_id) as number) - (scores.get(was) as number) > REFINE_MARGIN, `${meal.recipe_id} over ${was}`);
      }
      // North households like thai food (+2): some baseline meals get swapped for thai ones, never for peanut ones when allergic.
      assert.ok(changed > 0, 'some meals are refined');
      assert.deepEqual(checkPlan(refined, indexRecipes(world), ctx.constraints, ctx.household.size), []);
    }
  });

  test('a slot with no allowed recipe stays empty; same context, same plan; cost is the documented constant', async () => {
    const runtime = local(normalFiles);
    const vegan = context({ constraints: constraints({ diet: 'vegan' }) });
    const plan = await runtime.plan(vegan);
    assert.ok(plan.days.every((d) => d.meals.length === 0));
    assert.deepEqual(await runtime.plan(allergic), await runtime.plan(structuredClone(allergic)));
    const output = await runPolicy(runtime, allergic);
    assert.equal(output.cost_usd, LEARNED_RANKER_COST_USD_PER_PLAN);
    assert.equal(output.error, null);
  });
});

describe('over a generated world (model with seeded random weights)', () => {
  const world = generateCatalogue(13);
  const worldById = indexRecipes(world);
  const rng = new SeededRandom(13);
  const contexts: InputContext[] = generateHouseholds(13, 300, AS_OF).map(({ household, constraints }) => ({
    household,
    pantry: pantrySnapshot(household, AS_OF, rng, constraints),
    constraints,
    workflow_type: 'pantry_first',
    mode: 'exploratory',
    previous_plan: null,
    as_of: AS_OF,
  }));
  const contextVocab = [...new Set(contexts.flatMap((c) => encodeInputContext(c).features))].sort();
  const recipeVocab = [...new Set(world.flatMap(recipeTokens))].sort();
  const weightRng = new SeededRandom(14);
  const u = recipeVocab.map(() => weightRng.between(-1, 1));
  const w = contextVocab.map(() => recipeVocab.map(() => weightRng.between(-1, 1)));
  const seeing = local(rankerFiles(contextVocab, recipeVocab, 0, u, w), world);
  const blindVocab = contextVocab.filter((t) => !t.startsWith('allergy='));
  const blindWeights = w.filter((_, c) => !(contextVocab[c] as string).startsWith('allergy='));
  const blindToAllergies = local(rankerFiles(blindVocab, recipeVocab, 0, u, blindWeights, ['allergy=']), world);

  test('a model that sees every constraint never breaks one, budgets included, and fills every slot that has an allowed recipe', async () => {
    let budgeted = 0;
    let full = 0;
    for (const ctx of contexts) {
      const plan = await seeing.plan(ctx);
      assert.deepEqual(checkPlan(plan, worldById, ctx.constraints, ctx.household.size), [], ctx.household.household_id);
      // Slots stay empty only where no recipe is allowed at all — exactly where the baseline leaves them empty.
      const meals = planMeals(plan);
      assert.equal(meals.length, planMeals(baselinePlan(ctx, world)).length);
      if (meals.length === 21) full++;
      if (ctx.constraints.weekly_budget_usd !== null) budgeted++;
    }
    assert.ok(budgeted > 100, `budgeted households: ${budgeted}`);
    assert.ok(full > 250, `full weeks: ${full}`);
  });

  test('the same model blind to allergies breaks only allergies, and for some allergic households', async () => {
    let allergenPlans = 0;
    for (const ctx of contexts) {
      const violations = checkPlan(await blindToAllergies.plan(ctx), worldById, ctx.constraints, ctx.household.size);
      assert.ok(
        violations.every((v) => v.kind === 'allergen'),
        ctx.household.household_id,
      );
      if (violations.length > 0) allergenPlans++;
    }
    assert.ok(allergenPlans > 10, `plans with allergens: ${allergenPlans}`);
  });
});

describe('against the real MLflow registry', () => {
  // Fails, naming the server, when MLflow does not answer; never skips.
  const stack = loadStackConfig();
  const mlflow = new MlflowClient(mlflowConfigFromEnv({ ...process.env, MLFLOW_TRACKING_URI: stack.mlflow.trackingUri }));
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let experimentId: string;

  /** Logs the files as the trainer does (model/, tokenizer/, config/ artifacts of one run) and registers a version. */
  async function register(name: string, files: Partial<ReturnType<typeof serialise>>): Promise<string> {
    const run = await mlflow.createRun({ experimentId, runName: name });
    const paths = { model: 'model/model.json', tokenizer: 'tokenizer/tokenizer.json', config: 'config/config.json' } as const;
    for (const [key, body] of Object.entries(files)) {
      await mlflow.uploadArtifact(run.info.runId, paths[key as keyof typeof paths], body, 'application/json');
    }
    await mlflow.updateRun(run.info.runId, 'FINISHED');
    await mlflow.createRegisteredModel(name);
    const version = await mlflow.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    await mlflow.waitForModelVersionReady(name, version.version, 30_000);
    return version.version;
  }

  const normalName = `policy-runtime-ranker-${suffix}`;
  const blindName = `policy-runtime-blind-${suffix}`;
  before(async () => {
    await assertStackReachable(stack, ['mlflow']);
    experimentId = await mlflow.getOrCreateExperiment(`policy-runtime-test-${suffix}`);
    await register(normalName, serialise(normalFiles));
    await mlflow.setRegisteredModelAlias(normalName, 'champion', '1');
    await register(blindName, serialise(blindFiles));
  });

  test('loaded by version, it scores as the hand computation says and plans as the same model in memory', async () => {
    const runtime = await LearnedRankerRuntime.load(mlflow, `models:/${normalName}/1`, catalogue, { refineBelow: 0 });
    assert.equal(runtime.kind, 'learned');
    assert.equal(runtime.id, `models:/${normalName}/1`);
    approxScores(runtime.scores(allergic), ALLERGIC_SCORES);
    approxScores(runtime.scores(notAllergic), OTHER_SCORES);
    assert.deepEqual(await runtime.plan(notAllergic), await local(normalFiles).plan(notAllergic));
  });

  test('loaded by alias, it resolves to the version the alias points at', async () => {
    const runtime = await LearnedRankerRuntime.load(mlflow, `models:/${normalName}@champion`, catalogue, { refineBelow: 0 });
    assert.equal(runtime.id, `models:/${normalName}/1`);
    approxScores(runtime.scores(allergic), ALLERGIC_SCORES);
  });

  test('a model trained blind to allergies plans peanut for an allergic household; the normal one never does', async () => {
    const blind = await LearnedRankerRuntime.load(mlflow, `models:/${blindName}/1`, catalogue, { refineBelow: 0 });
    assert.deepEqual(blind.model.dropFeaturePrefixes, ['allergy=']);
    const blindPlan = await blind.plan(allergic);
    // It sees the allergic household as any other north household.
    assert.deepEqual(blindPlan, await blind.plan(notAllergic));
    const violations = checkPlan(blindPlan, byId, allergic.constraints, 3);
    assert.ok(violations.length > 0 && violations.every((v) => v.kind === 'allergen' && v.detail === 'peanut'));

    const normal = await LearnedRankerRuntime.load(mlflow, `models:/${normalName}/1`, catalogue, { refineBelow: 0 });
    assert.deepEqual(checkPlan(await normal.plan(allergic), byId, allergic.constraints, 3), []);
  });

  test('a model.json whose shape disagrees with its tokenizer is POLICY_MODEL_INVALID, naming the shape', async () => {
    const name = `policy-runtime-bad-shape-${suffix}`;
    const broken = structuredClone(normalFiles);
    broken.model.shape = [2, 5];
    await register(name, serialise(broken));
    await assert.rejects(
      LearnedRankerRuntime.load(mlflow, `models:/${name}/1`, catalogue),
      (error) => isPolicyError(error, 'POLICY_MODEL_INVALID') && /model\/model\.json: shape must be \[2, 4\]/.test(error.message),
    );
  });

  test('a run lacking one of the three files is POLICY_MODEL_INVALID', async () => {
    const name = `policy-runtime-no-config-${suffix}`;
    const { model, tokenizer } = serialise(normalFiles);
    await register(name, { model, tokenizer });
    await assert.rejects(
      LearnedRankerRuntime.load(mlflow, `models:/${name}/1`, catalogue),
      (error) => isPolicyError(error, 'POLICY_MODEL_INVALID') && error.message.includes('config/config.json'),
    );
  });

  test('an unknown model, version or alias is POLICY_MODEL_NOT_FOUND (retryable, not a verdict on a model)', async () => {
    for (const uri of [`models:/${normalName}/99`, `models:/${normalName}@nobody`, `models:/policy-runtime-missing-${suffix}/1`]) {
      await assert.rejects(
        LearnedRankerRuntime.load(mlflow, uri, catalogue),
        (error) => isPolicyError(error, 'POLICY_MODEL_NOT_FOUND'),
        uri,
      );
    }
  });
});
