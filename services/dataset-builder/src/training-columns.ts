/**
 * The columns of `training.parquet`, one place for the Parquet writer and
 * `schema.json` (seed §2.2: input context, target output, metadata). Nested
 * values are JSON text so every reader (pyarrow, DuckDB, pandas) gets them
 * without a nested-type mapping.
 */
export interface TrainingRow {
  row_id: string;
  household_id: string;
  split: DatasetSplit;
  occurred_at: Date;
  workflow_type: string;
  mode: string | null;
  region: string;
  household_size: number;
  segment: string;
  policy_version_id: string;
  experiment_id: string | null;
  variant_id: string | null;
  household_json: string;
  pantry_json: string;
  constraints_json: string;
  previous_plan_json: string | null;
  input_context_json: string;
  features_json: string;
  prompt: string;
  generated_plan_json: string;
  accepted_plan_json: string;
  accepted_meals_json: string;
  user_edits_json: string;
  codec_version: string;
}

export type DatasetSplit = 'train' | 'validation' | 'evaluation';

export type ColumnType = 'STRING' | 'INT32' | 'TIMESTAMP';
export type ColumnRole = 'input' | 'target' | 'metadata';

export interface ColumnSpec {
  name: keyof TrainingRow;
  type: ColumnType;
  nullable: boolean;
  role: ColumnRole;
  description: string;
  /** Free text or JSON that differs in every row (see ParquetColumn). */
  wide?: true;
}

export const TRAINING_COLUMNS: readonly ColumnSpec[] = [
  { name: 'row_id', type: 'STRING', nullable: false, role: 'metadata', description: 'The accepted plan id; one row per accepted plan.' },
  { name: 'household_id', type: 'STRING', nullable: false, role: 'metadata', description: 'The household; the split is by household.' },
  {
    name: 'split',
    type: 'STRING',
    nullable: false,
    role: 'metadata',
    description: 'train, validation or evaluation (deterministic by household and split seed).',
  },
  {
    name: 'occurred_at',
    type: 'TIMESTAMP',
    nullable: false,
    role: 'metadata',
    description: 'When the plan was accepted (UTC, milliseconds).',
  },
  { name: 'workflow_type', type: 'STRING', nullable: false, role: 'input', description: 'plan_first, meal_first or pantry_first.' },
  {
    name: 'mode',
    type: 'STRING',
    nullable: true,
    role: 'input',
    description: 'autopilot, exploratory or constrained; null when the product did not say.',
  },
  { name: 'region', type: 'STRING', nullable: false, role: 'metadata', description: 'Segmenting feature: the household region.' },
  { name: 'household_size', type: 'INT32', nullable: false, role: 'metadata', description: 'Segmenting feature: people in the household.' },
  { name: 'segment', type: 'STRING', nullable: false, role: 'metadata', description: 'Segmenting feature: region and size band.' },
  {
    name: 'policy_version_id',
    type: 'STRING',
    nullable: false,
    role: 'metadata',
    description: 'The policy version that generated the plan originally.',
  },
  { name: 'experiment_id', type: 'STRING', nullable: true, role: 'metadata', description: 'The experiment the plan was generated in.' },
  {
    name: 'variant_id',
    type: 'STRING',
    nullable: true,
    role: 'metadata',
    description: 'The experiment variant the household was assigned to.',
  },
  { name: 'household_json', type: 'STRING', nullable: false, role: 'input', description: 'Household representation (JSON).' },
  {
    name: 'pantry_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'input',
    description: 'Pantry snapshot at planning time: items, quantities, expiry (JSON).',
  },
  {
    name: 'constraints_json',
    type: 'STRING',
    nullable: false,
    role: 'input',
    description: 'Constraints snapshot at planning time (JSON).',
  },
  {
    name: 'previous_plan_json',
    type: 'STRING',
    wide: true,
    nullable: true,
    role: 'input',
    description: "The household's previous accepted weekly plan (JSON), if any.",
  },
  {
    name: 'input_context_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'input',
    description: 'The whole input context, canonical JSON from the input-context codec.',
  },
  {
    name: 'features_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'input',
    description: 'Context feature tokens from the input-context codec (JSON array).',
  },
  {
    name: 'prompt',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'input',
    description: 'The planning prompt from the input-context codec, as an LLM planner is asked at run time.',
  },
  {
    name: 'generated_plan_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'metadata',
    description: 'The plan the original policy showed (JSON).',
  },
  {
    name: 'accepted_plan_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'target',
    description: 'Target: the weekly plan the user accepted (JSON).',
  },
  {
    name: 'accepted_meals_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    role: 'target',
    description: 'Target: recipe ids of the accepted meals, day then slot (JSON array).',
  },
  {
    name: 'user_edits_json',
    type: 'STRING',
    nullable: false,
    role: 'target',
    description: 'Target: the sequence of user edits from shown to accepted plan (JSON array).',
  },
  {
    name: 'codec_version',
    type: 'STRING',
    nullable: false,
    role: 'metadata',
    description: 'Version of the input-context codec that produced the input columns.',
  },
];

/** The recipe catalogue snapshot written beside the rows as `recipes.parquet`. */
export interface RecipeRow {
  recipe_id: string;
  recipe_json: string;
  tokens_json: string;
}

export const RECIPE_COLUMNS: readonly { name: keyof RecipeRow; type: ColumnType; nullable: boolean; description: string; wide?: true }[] = [
  { name: 'recipe_id', type: 'STRING', nullable: false, description: 'The recipe id used in plans.' },
  {
    name: 'recipe_json',
    type: 'STRING',
    wide: true,
    nullable: false,
    description: 'The recipe: cuisine, ingredients, allergens, diet tags, prep time, cost, slots (JSON).',
  },
  {
    name: 'tokens_json',
    type: 'STRING',
    nullable: false,
    wide: true,
    description: 'Recipe feature tokens from the input-context codec (JSON array).',
  },
];
