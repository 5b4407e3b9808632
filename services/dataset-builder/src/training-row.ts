import { CODEC_VERSION, encodeInputContext, type InputContext, validateInputContext } from '@planner/domain';
import type { PlanEdit, WeeklyPlan } from '@planner/schemas';
import type { AcceptedPlanRecord } from './accepted-plans-query.ts';
import { DatasetError } from './dataset-error.ts';
import { splitOf } from './dataset-split.ts';
import type { TrainingRow } from './training-columns.ts';

/** Recipe ids of a plan's meals, day then slot order as the plan lists them. */
export function planMeals(plan: WeeklyPlan): string[] {
  return [...plan.days].sort((a, b) => a.day - b.day).flatMap((day) => day.meals.map((meal) => meal.recipe_id));
}

/** The input context the planner was asked with when it generated this plan. */
export function inputContextOf(record: AcceptedPlanRecord): unknown {
  return {
    household: {
      household_id: record.household_id,
      region: record.region,
      size: record.size,
      segment: record.segment,
      created_at: record.household_created_at.getTime(),
    },
    pantry: {
      household_id: record.household_id,
      taken_at: record.pantry_taken_at?.getTime() ?? record.generated_at.getTime(),
      items: record.pantry_items ?? [],
    },
    constraints: {
      household_id: record.household_id,
      allergies: record.allergies ?? [],
      diet: record.diet,
      weekly_budget_usd: record.weekly_budget_usd,
      max_prep_minutes: record.max_prep_minutes,
      excluded_ingredients: record.excluded_ingredients ?? [],
    },
    workflow_type: record.workflow_type,
    mode: record.mode,
    previous_plan: record.previous_plan ?? null,
    as_of: record.generated_at.getTime(),
  };
}

/**
 * Seed §2.3 step 3: one supervised row per accepted plan. The input goes
 * through the same codec the replay uses, and is validated by it, so a shape
 * mismatch stops the build here rather than surfacing in training.
 */
export function trainingRow(
  record: AcceptedPlanRecord,
  splitSeed: number,
  knownRecipes: ReadonlySet<string>,
): { row: TrainingRow; editCount: number } {
  let context: InputContext;
  try {
    context = validateInputContext(inputContextOf(record));
  } catch (error) {
    throw new DatasetError(
      'DATASET_ROW_INVALID',
      `plan ${record.plan_id}: the input context does not match the codec: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const accepted = record.accepted_plan as WeeklyPlan;
  const meals = planMeals(accepted);
  const unknown = meals.find((id) => !knownRecipes.has(id));
  if (unknown !== undefined)
    throw new DatasetError('DATASET_ROW_INVALID', `plan ${record.plan_id}: accepted recipe ${unknown} is not in product.recipes`);
  const edits = (record.edits ?? []) as PlanEdit[];
  const encoded = encodeInputContext(context);
  return {
    editCount: edits.length,
    row: {
      row_id: record.plan_id,
      household_id: record.household_id,
      split: splitOf(record.household_id, splitSeed),
      occurred_at: record.accepted_at,
      workflow_type: record.workflow_type,
      mode: record.mode,
      region: record.region,
      household_size: record.size,
      segment: record.segment,
      policy_version_id: record.generated_policy_version_id,
      experiment_id: record.experiment_id,
      variant_id: record.variant_id,
      household_json: JSON.stringify(context.household),
      pantry_json: JSON.stringify(context.pantry),
      constraints_json: JSON.stringify(context.constraints),
      previous_plan_json: context.previous_plan === null ? null : JSON.stringify(context.previous_plan),
      input_context_json: JSON.stringify(encoded.input),
      features_json: JSON.stringify(encoded.features),
      prompt: encoded.prompt,
      generated_plan_json: JSON.stringify(record.generated_plan),
      accepted_plan_json: JSON.stringify(accepted),
      accepted_meals_json: JSON.stringify(meals),
      user_edits_json: JSON.stringify(edits),
      codec_version: CODEC_VERSION,
    },
  };
}
