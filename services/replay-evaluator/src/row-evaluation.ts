import type { Recipe } from '@planner/domain';
import { offlineScore, rowMetrics } from '@planner/evaluation';
import { type PolicyRuntime, runPolicy } from '@planner/policy-runtime';
import type { EvaluationRow } from './evaluation-rows.ts';

/** One evaluation row under one policy: its plan, the row's metrics against what the user accepted, and the offline score. */
export async function evaluateRow(runtime: PolicyRuntime, row: EvaluationRow, recipesById: Map<string, Recipe>) {
  const output = await runPolicy(runtime, row.context);
  const metrics = rowMetrics({
    context: row.context,
    plan: output.plan,
    accepted: row.accepted,
    actualEdits: row.edits,
    recipesById,
    latencyMs: output.latency_ms,
    costUsd: output.cost_usd,
  });
  return { output, metrics, offlineScore: offlineScore(metrics) };
}
