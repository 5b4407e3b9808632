import { DIGEST_RECIPE, DIGEST_SHELL_COMMAND } from './dataset-digest.ts';
import type { DatasetProfile } from './dataset-profile.ts';
import { TRAINING_COLUMNS } from './training-columns.ts';

export interface SummaryFacts {
  datasetVersion: string;
  windowStart: Date;
  windowEnd: Date;
  splitSeed: number;
  codecVersion: string;
  digest: string;
  recipes: number;
}

const count = (n: number) => n.toLocaleString('en-US');

/** `dataset_summary.md` (seed §2.4): what the dataset holds, for people deciding whether to train on it. */
export function datasetSummary(facts: SummaryFacts, profile: DatasetProfile): string {
  const p = profile.toJSON();
  const lines = [
    `# Dataset ${facts.datasetVersion}`,
    '',
    `Rows: ${count(p.num_rows)}`,
    `Fields: ${TRAINING_COLUMNS.length}`,
    'Tasks: Weekly plan generation (supervised)',
    'Targets: Accepted meal plans, accepted meals and the user edits that led to them',
    `Notes: Includes constraints and pantry features; input columns come from the input-context codec ${facts.codecVersion}, so rows mirror the planning prompt.`,
    '',
    '## Source',
    `- Accepted plans from exp.events in [${facts.windowStart.toISOString()}, ${facts.windowEnd.toISOString()})`,
    `- Households: ${count(p.num_households)}; recipes in the catalogue snapshot: ${count(facts.recipes)}`,
    `- Rows with user edits: ${count(p.rows_with_edits)} (mean ${p.mean_edits_per_row} edits per row)`,
    `- Content digest (sha256): ${facts.digest}`,
    `  - ${DIGEST_RECIPE}`,
    `  - In the dataset's folder: \`${DIGEST_SHELL_COMMAND}\``,
    '',
    `## Split (by household, seed ${facts.splitSeed})`,
    '| split | rows |',
    '|---|---|',
    ...(['train', 'validation', 'evaluation'] as const).map((s) => `| ${s} | ${count(p.splits[s])} |`),
    '',
    '## Rows per segment',
    '| segment | rows |',
    '|---|---|',
    ...Object.entries(p.segments).map(([segment, n]) => `| ${segment} | ${count(n)} |`),
    '',
    '## Rows per workflow type',
    '| workflow type | rows |',
    '|---|---|',
    ...Object.entries(p.workflow_types).map(([workflow, n]) => `| ${workflow} | ${count(n)} |`),
    '',
    // The generating version, not the assigned one: a fallback's rows count under the production version.
    '## Rows per policy version and variant',
    '| policy version | variant | rows |',
    '|---|---|---|',
    ...p.policy_versions.map((v) => `| ${v.policy_version_id} | ${v.variant_id ?? '(none)'} | ${count(v.rows)} |`),
    '',
  ];
  return lines.join('\n');
}

/** `schema.json`: the columns, their types and roles, so readers need no code of ours. */
export function datasetSchema(datasetVersion: string, codecVersion: string) {
  return {
    dataset_version: datasetVersion,
    format: 'parquet',
    file: 'training.parquet',
    codec_version: codecVersion,
    field_count: TRAINING_COLUMNS.length,
    fields: TRAINING_COLUMNS.map((c) => ({
      name: c.name,
      type: c.type.toLowerCase(),
      nullable: c.nullable,
      role: c.role,
      description: c.description,
    })),
  };
}
