import type { DatasetSplit, TrainingRow } from './training-columns.ts';

/** Digit runs compare as numbers, so policy version v9 comes before v10. */
const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Counts gathered while rows stream past, for the summary and MLflow's dataset profile. */
export class DatasetProfile {
  rows = 0;
  readonly splits: Record<DatasetSplit, number> = { train: 0, validation: 0, evaluation: 0 };
  readonly segments = new Map<string, number>();
  readonly workflows = new Map<string, number>();
  /** Rows by the policy version that generated the plan, then the variant that served it. */
  readonly policyVersions = new Map<string, Map<string | null, number>>();
  readonly households = new Set<string>();
  rowsWithEdits = 0;
  edits = 0;
  firstAt: Date | undefined;
  lastAt: Date | undefined;

  add(row: TrainingRow, editCount: number): void {
    this.rows++;
    this.splits[row.split]++;
    this.segments.set(row.segment, (this.segments.get(row.segment) ?? 0) + 1);
    this.workflows.set(row.workflow_type, (this.workflows.get(row.workflow_type) ?? 0) + 1);
    const variants = this.policyVersions.get(row.policy_version_id) ?? new Map<string | null, number>();
    variants.set(row.variant_id, (variants.get(row.variant_id) ?? 0) + 1);
    this.policyVersions.set(row.policy_version_id, variants);
    // One id per household: bounded by the household count, not the row count.
    this.households.add(row.household_id);
    if (editCount > 0) this.rowsWithEdits++;
    this.edits += editCount;
    if (!this.firstAt || row.occurred_at < this.firstAt) this.firstAt = row.occurred_at;
    if (!this.lastAt || row.occurred_at > this.lastAt) this.lastAt = row.occurred_at;
  }

  toJSON() {
    return {
      num_rows: this.rows,
      num_households: this.households.size,
      splits: this.splits,
      segments: Object.fromEntries([...this.segments].sort(([a], [b]) => a.localeCompare(b))),
      workflow_types: Object.fromEntries([...this.workflows].sort(([a], [b]) => a.localeCompare(b))),
      policy_versions: [...this.policyVersions]
        .sort(([a], [b]) => naturalOrder(a, b))
        .flatMap(([policy_version_id, variants]) =>
          [...variants]
            .sort(([a], [b]) => naturalOrder(a ?? '', b ?? ''))
            .map(([variant_id, rows]) => ({ policy_version_id, variant_id, rows })),
        ),
      rows_with_edits: this.rowsWithEdits,
      mean_edits_per_row: this.rows === 0 ? 0 : Number((this.edits / this.rows).toFixed(4)),
      first_occurred_at: this.firstAt?.toISOString() ?? null,
      last_occurred_at: this.lastAt?.toISOString() ?? null,
    };
  }
}
