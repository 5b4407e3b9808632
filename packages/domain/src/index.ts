export type { MealSlot, PlanEdit, PlanEvent, PlanMode, WeeklyPlan, WorkflowType } from '@planner/schemas';
export { budgetBand, type CostBand, costBand, type MaxPrepBand, maxPrepBand, type PrepBand, prepBand } from './bands.ts';
export { BASELINE_POLICY_VERSION, baselinePlan, genericPopularity } from './baseline-plan.ts';
export { canonicalize, type JsonValue } from './canonical-json.ts';
export {
  checkPlan,
  indexRecipes,
  isRecipeAllowed,
  planCost,
  type RecipeViolation,
  recipeViolations,
  type Violation,
  type ViolationKind,
} from './constraint-checker.ts';
export type { Constraints } from './constraints.ts';
export { type DatasetVersion, datasetVersionOf, parseDatasetVersion } from './dataset-version.ts';
export { DomainError, type DomainErrorCode } from './domain-error.ts';
export {
  type Household,
  MAX_HOUSEHOLD_SIZE,
  MIN_HOUSEHOLD_SIZE,
  REGIONS,
  type Region,
  type SizeBand,
  segmentOf,
  sizeBand,
} from './household.ts';
export { type InputContext, PLAN_MODES, validateInputContext, WORKFLOW_TYPES } from './input-context.ts';
export { CODEC_VERSION, type EncodedInputContext, encodeInputContext, recipeTokens } from './input-context-codec.ts';
export { type ModelRef, modelVersionUri, parseModelUri } from './model-uri.ts';
export { daysUntil, EXPIRING_WITHIN_DAYS, type PantryItem, type PantrySnapshot, type PantryStatus, pantryStatus } from './pantry.ts';
export { type ValidatedPlan, validatePlan } from './plan-validator.ts';
export { parsePolicyVersionId, policyVersionIdOf } from './policy-version.ts';
export { ALLERGENS, DIET_TAGS, type Recipe } from './recipe.ts';
export { hashString, hashUnit } from './stable-hash.ts';
export { generateCatalogue } from './synthetic/catalogue.ts';
export { CUISINES, type Cuisine } from './synthetic/catalogue-data.ts';
export {
  type EventStreamOptions,
  GENERATOR_DEFAULTS,
  generateEventStream,
  generateSyntheticWorld,
  type SessionInfo,
  type SyntheticRecord,
} from './synthetic/event-stream.ts';
export { DISLIKE_THRESHOLD, hiddenPreferenceScore, REGION_TASTES } from './synthetic/hidden-preferences.ts';
export {
  DEFAULT_WORLD_START_MS,
  generateHousehold,
  generateHouseholds,
  householdId,
  type SyntheticHousehold,
} from './synthetic/households.ts';
export { pantrySnapshot } from './synthetic/pantry-snapshot.ts';
export { deriveSeed, SeededRandom } from './synthetic/seeded-random.ts';
export { type SessionShape, sessionShape } from './synthetic/session-shape.ts';
export { CatalogueView, type SessionOutcome, type SessionStep, simulateUser, USER_RATES } from './synthetic/user-simulation.ts';
export { normalizeTerm } from './term.ts';
export { DAYS_PER_WEEK, MEAL_SLOTS, normalizePlan, type PlannedMealAt, planMeals } from './weekly-plan.ts';
