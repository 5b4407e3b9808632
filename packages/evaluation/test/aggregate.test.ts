import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '@planner/domain';
import { aggregateMetrics, type PairedRow } from '../src/aggregate.ts';
import { bootstrapMeanInterval, type MeanInterval, pairedBootstrapDifference } from '../src/bootstrap.ts';
import { EvaluationError } from '../src/evaluation-error.ts';
import { OFFLINE_SCORE_VERSION, offlineScore } from '../src/offline-score.ts';
import { METRICS } from '../src/row-metrics.ts';
import { metrics } from './fixtures.ts';

/** Rows where the candidate aligns better and is slower, drawn from a fixed seed. */
function rows(count: number): PairedRow[] {
  const random = new SeededRandom(99);
  return Array.from({ length: count }, () => {
    const alignment = random.float();
    const latency = 80 + 40 * random.float();
    return {
      baseline: metrics({ plan_alignment: alignment, edit_rate: 1 - alignment, latency_ms: latency }),
      candidate: metrics({
        plan_alignment: Math.min(1, alignment + 0.1 * random.float()),
        edit_rate: Math.max(0, 1 - alignment - 0.1 * random.float()),
        latency_ms: latency + 20 * random.float(),
        constraint_respect: random.chance(0.05) ? 0 : 1,
      }),
    };
  });
}

const round6 = ({ estimate, low, high }: MeanInterval): MeanInterval => ({
  estimate: Math.round(estimate * 1e6) / 1e6,
  low: Math.round(low * 1e6) / 1e6,
  high: Math.round(high * 1e6) / 1e6,
});

test('same rows and seed → byte-identical JSON; another seed → other intervals', () => {
  const data = rows(60);
  const text = JSON.stringify(aggregateMetrics(data, { seed: 5 }));
  assert.equal(JSON.stringify(aggregateMetrics(structuredClone(data), { seed: 5 })), text);
  assert.notEqual(JSON.stringify(aggregateMetrics(data, { seed: 6 })), text);
});

test('every metric, in METRICS order, with its direction; then the versioned offline score', () => {
  const result = aggregateMetrics(rows(10), { seed: 1, resamples: 100 });
  assert.deepEqual(
    Object.keys(result.metrics),
    METRICS.map((m) => m.name),
  );
  for (const { name, higherIsBetter } of METRICS) assert.equal(result.metrics[name].higherIsBetter, higherIsBetter);
  assert.equal(result.offline_score.higherIsBetter, true);
  assert.equal(result.offline_score_version, OFFLINE_SCORE_VERSION);
  assert.deepEqual([result.rows, result.seed, result.resamples, result.confidence], [10, 1, 100, 0.95]);
});

test('each interval is the one-column bootstrap with the same seed, rounded to 6 decimals', () => {
  const data = rows(40);
  const options = { seed: 77, resamples: 300 };
  const result = aggregateMetrics(data, options);
  for (const name of ['plan_alignment', 'latency_ms', 'constraint_respect'] as const) {
    const candidate = data.map((row) => row.candidate[name]);
    const baseline = data.map((row) => row.baseline[name]);
    assert.deepEqual(result.metrics[name].candidate, round6(bootstrapMeanInterval(candidate, options)));
    assert.deepEqual(result.metrics[name].baseline, round6(bootstrapMeanInterval(baseline, options)));
    assert.deepEqual(result.metrics[name].difference, round6(pairedBootstrapDifference(candidate, baseline, options)));
  }
  const scores = data.map((row) => offlineScore(row.candidate));
  assert.deepEqual(result.offline_score.candidate, round6(bootstrapMeanInterval(scores, options)));
});

test('a two-row hand case: means and the paired difference', () => {
  const result = aggregateMetrics(
    [
      { candidate: metrics({ plan_alignment: 1 }), baseline: metrics({ plan_alignment: 0.5 }) },
      { candidate: metrics({ plan_alignment: 0 }), baseline: metrics({ plan_alignment: 0.5 }) },
    ],
    { seed: 3 },
  );
  const alignment = result.metrics.plan_alignment;
  assert.deepEqual(alignment.candidate, { estimate: 0.5, low: 0, high: 1 });
  assert.deepEqual(alignment.baseline, { estimate: 0.5, low: 0.5, high: 0.5 });
  // Per-row differences 0.5 and −0.5: resample means −0.5, 0 or 0.5.
  assert.deepEqual(alignment.difference, { estimate: 0, low: -0.5, high: 0.5 });
  // Scores differ only through alignment: 0.45 · (±0.5) per row, mean 0.
  assert.equal(result.offline_score.difference.estimate, 0);
});

test('no rows, a non-finite metric or bad options are refused, naming the problem', () => {
  const refused = (run: () => unknown, message: RegExp) =>
    assert.throws(
      run,
      (error: unknown) => error instanceof EvaluationError && error.code === 'STATISTICS_INPUT_INVALID' && message.test(error.message),
    );
  refused(() => aggregateMetrics([], { seed: 1 }), /rows is empty/);
  const broken = rows(3);
  (broken[1] as PairedRow).baseline.latency_ms = Number.NaN;
  refused(() => aggregateMetrics(broken, { seed: 1 }), /rows\[1\]\.baseline\.latency_ms must be a finite number, got NaN/);
  refused(() => aggregateMetrics(rows(3), { seed: -0.5 }), /seed must be a safe integer/);
});
