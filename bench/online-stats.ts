/**
 * The experiment monitor's statistics, validated by simulation (issue 11).
 *
 *   ./lifecycle bench online-stats [--experiments 2000] [--seed 11]
 *
 * No stack needed: every figure is a Monte Carlo rate over --experiments
 * simulated experiments, each drawn from its own SeededRandom stream, so a
 * seed gives the same table on any machine. ± is the Monte Carlo standard
 * error √(r(1 − r)/experiments).
 *
 * (a) A/A: acceptance p = 0.95 in both arms, 20 looks of 250 units per arm
 *     (5,000 per arm at the end), a look after every batch. False-positive rate
 *     of the normal-mixture sequential test (running minimum of the always-valid
 *     p < 0.05) against Welch's fixed-horizon t-test peeked at the same 20 looks,
 *     and the same t-test looked at once at the end.
 * (b) The same tests at a real effect, same looks and sample size: acceptance
 *     0.95 vs 0.93 (+2 points) and 0.95 vs 0.94 (+1 point).
 * (c) Sample-ratio check (p < 0.001) when 2% of the treatment's exposures are
 *     lost, at 50/50 and 5/95, one look after N exposures.
 * (d) CUPED on a pre-period covariate correlated with the outcome.
 * (e) Ingest rate, on the local stack (the only part that needs it): the
 *     monitor's events/s through Kafka into its statistics, against the
 *     dataset-builder ingesting the same exp.events messages (the peer). Both
 *     read the same topic from the beginning, one after the other, timed from
 *     start-up until their consumer group has no lag. --ingest-households 0
 *     leaves it out.
 */
import { parseArgs } from 'node:util';
import type { KafkajsTransport } from '@planner/bus';
import { DEFAULT_WORLD_START_MS, generateEventStream, SeededRandom } from '@planner/domain';
import { studentTCdf } from '@planner/evaluation';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import {
  type ArmSummary,
  cuped,
  DEFAULT_SEQUENTIAL,
  differenceOfMeans,
  mixtureSequentialTest,
  SUGGESTED_TAU,
  sampleRatioMismatch,
  summarize,
  tauForHorizon,
} from '@planner/online-statistics';
import type { TopicName } from '@planner/schemas';
import { isolatedLifecycle } from '../scripts/local-lifecycle/isolated-lifecycle.ts';
import { clientBus, groupCaughtUp, startService } from '../scripts/local-lifecycle/lifecycle-services.ts';
import { GROUPS as DATASET_GROUPS } from '../services/dataset-builder/src/service.ts';
import { GROUPS as MONITOR_GROUPS } from '../services/experiment-monitor/src/service.ts';

const { values } = parseArgs({
  options: {
    experiments: { type: 'string', default: '2000' },
    'ingest-households': { type: 'string', default: '3000' },
    seed: { type: 'string', default: '11' },
  },
});
const EXPERIMENTS = Number(values.experiments);
const SEED = Number(values.seed);
if (!Number.isInteger(EXPERIMENTS) || EXPERIMENTS < 1) {
  console.error('bench online-stats: --experiments must be a positive integer');
  process.exit(2);
}
if (!Number.isSafeInteger(SEED)) {
  console.error('bench online-stats: --seed must be an integer');
  process.exit(2);
}

const ALPHA = DEFAULT_SEQUENTIAL.alpha;
const LOOKS = 20;
const BATCH = 250;
const BASELINE_ACCEPTANCE = 0.95;

interface Row {
  cells: string[];
}
interface Section {
  title: string;
  header: string[];
  rows: Row[];
  notes: string[];
}

const rate = (hits: number, n: number) => {
  const r = hits / n;
  return `${r.toFixed(4)} ± ${Math.sqrt((r * (1 - r)) / n).toFixed(4)}`;
};

/** Welch's two-sided fixed-horizon t-test: the test a dashboard without sequential statistics shows. */
function welchPValue(treatment: ArmSummary, control: ArmSummary): number {
  const a = treatment.variance / treatment.n;
  const b = control.variance / control.n;
  if (a + b === 0) return 1;
  const t = (treatment.mean - control.mean) / Math.sqrt(a + b);
  const df = (a + b) ** 2 / ((a * a) / (treatment.n - 1) + (b * b) / (control.n - 1));
  return 2 * studentTCdf(-Math.abs(t), df);
}

interface PeekOutcome {
  sequential: boolean[]; // one per tau
  sequentialLook: number[]; // first look that rejected, per tau (0 if none)
  covered: boolean[]; // the sequence held the true effect at every look, per tau
  peeked: boolean;
  final: boolean;
}

/** One experiment: Bernoulli acceptance per unit, a look after every batch. */
function peekingExperiment(random: SeededRandom, treatmentP: number, controlP: number, taus: readonly number[]): PeekOutcome {
  const outcome: PeekOutcome = {
    sequential: taus.map(() => false),
    sequentialLook: taus.map(() => 0),
    covered: taus.map(() => true),
    peeked: false,
    final: false,
  };
  const runningMinimum = taus.map(() => 1);
  let treatmentAccepted = 0;
  let controlAccepted = 0;
  for (let look = 1; look <= LOOKS; look++) {
    for (let i = 0; i < BATCH; i++) {
      if (random.chance(treatmentP)) treatmentAccepted++;
      if (random.chance(controlP)) controlAccepted++;
    }
    const n = look * BATCH;
    // Bernoulli: Σv = Σv² = accepted plans.
    const treatment = summarize({ n, sum: treatmentAccepted, sumSquares: treatmentAccepted });
    const control = summarize({ n, sum: controlAccepted, sumSquares: controlAccepted });
    const { estimate, standardError } = differenceOfMeans(treatment, control);
    for (const [k, tau] of taus.entries()) {
      const result = mixtureSequentialTest(estimate, standardError, { alpha: ALPHA, tau });
      runningMinimum[k] = Math.min(runningMinimum[k] as number, result.pValue);
      if (!outcome.sequential[k] && (runningMinimum[k] as number) < ALPHA) {
        outcome.sequential[k] = true;
        outcome.sequentialLook[k] = look;
      }
      const truth = treatmentP - controlP;
      if (truth < result.lower || truth > result.upper) outcome.covered[k] = false;
    }
    const p = welchPValue(treatment, control);
    if (p < ALPHA) outcome.peeked = true;
    if (look === LOOKS && p < ALPHA) outcome.final = true;
  }
  return outcome;
}

function sequentialSections(): Section[] {
  const finalSe = Math.sqrt((2 * BASELINE_ACCEPTANCE * (1 - BASELINE_ACCEPTANCE)) / (LOOKS * BATCH));
  const taus = [SUGGESTED_TAU.acceptanceRate, tauForHorizon(finalSe, ALPHA)];
  const tauNames = taus.map((tau, k) => `sequential mSPRT, τ ${tau.toFixed(4)}${k === 0 ? ' (SUGGESTED_TAU)' : ' (tauForHorizon)'}`);
  const scenarios = [
    { name: 'A/A 0.95 vs 0.95', treatment: 0.95, control: 0.95 },
    { name: '+2 pts 0.95 vs 0.93', treatment: 0.95, control: 0.93 },
    { name: '+1 pt 0.95 vs 0.94', treatment: 0.95, control: 0.94 },
  ];
  const rowsA: Row[] = [];
  const rowsB: Row[] = [];
  for (const scenario of scenarios) {
    const sequential = taus.map(() => 0);
    const lookSum = taus.map(() => 0);
    const covered = taus.map(() => 0);
    let peeked = 0;
    let final = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      const random = SeededRandom.derive(SEED, 'online-stats', scenario.name, e);
      const outcome = peekingExperiment(random, scenario.treatment, scenario.control, taus);
      for (let k = 0; k < taus.length; k++) {
        if (outcome.sequential[k]) {
          sequential[k] = (sequential[k] as number) + 1;
          lookSum[k] = (lookSum[k] as number) + (outcome.sequentialLook[k] as number);
        }
        if (outcome.covered[k]) covered[k] = (covered[k] as number) + 1;
      }
      if (outcome.peeked) peeked++;
      if (outcome.final) final++;
    }
    const rows = scenario.treatment === scenario.control ? rowsA : rowsB;
    for (const [k, name] of tauNames.entries()) {
      const hits = sequential[k] as number;
      const meanUnits = hits === 0 ? '—' : String(Math.round(((lookSum[k] as number) / hits) * BATCH));
      rows.push({ cells: [scenario.name, name, rate(hits, EXPERIMENTS), meanUnits, rate(covered[k] as number, EXPERIMENTS)] });
    }
    rows.push({ cells: [scenario.name, `Welch t, peeked at all ${LOOKS} looks`, rate(peeked, EXPERIMENTS), '—', '—'] });
    rows.push({
      cells: [scenario.name, `Welch t, once at ${LOOKS * BATCH} per arm`, rate(final, EXPERIMENTS), String(LOOKS * BATCH), '—'],
    });
  }
  const header = ['scenario', 'test', 'rejected H0 (rate)', 'mean units/arm at rejection', 'CS covered truth at all looks'];
  const design = `${EXPERIMENTS} experiments, Bernoulli acceptance per unit, ${LOOKS} looks × ${BATCH} units per arm (${LOOKS * BATCH} per arm at the end), α ${ALPHA} two-sided.`;
  return [
    {
      title: '(a) False positives under A/A (goal: sequential ≤ 0.05 at any number of looks)',
      header,
      rows: rowsA,
      notes: [design, 'sequential rejects when the running minimum of the always-valid p falls below α at any look.'],
    },
    {
      title: '(b) Power at the same sample size (treatment better by 2 and by 1 percentage points)',
      header,
      rows: rowsB,
      notes: [
        design,
        'the peeked Welch row is not a usable power: its false-positive rate in (a) is far above α.',
        `fixed-horizon power at 5,000 per arm, normal approximation: +2 pts z = 0.02/0.004746 = 4.21 → 0.988; +1 pt z = 0.01/0.004559 = 2.19 → 0.592.`,
      ],
    },
  ];
}

/** Binomial(n, p): exact by inversion while n·p is small, else the normal approximation (skew ≤ 1/√500 there). */
function binomial(random: SeededRandom, n: number, p: number): number {
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  const mean = n * p;
  if (mean < 500) {
    // Walk the pmf from 0: P(0) = (1 − p)^n > e^(−500·1.4), no underflow.
    let k = 0;
    let pmf = (1 - p) ** n;
    let cdf = pmf;
    const u = random.float();
    while (u > cdf && k < n) {
      pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
      k++;
      cdf += pmf;
    }
    return k;
  }
  const draw = Math.round(mean + Math.sqrt(mean * (1 - p)) * gaussian(random));
  return Math.min(n, Math.max(0, draw));
}

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm finite). */
function gaussian(random: SeededRandom): number {
  const u = 1 - random.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.float());
}

const LOSS = 0.02;

function srmSection(): Section {
  const rows: Row[] = [];
  const sizes = [10_000, 100_000, 1_000_000];
  const allocations = [
    { name: '50/50', treatment: 0.5 },
    { name: '5/95 (treatment 5%)', treatment: 0.05 },
  ];
  /** Exposures of one epoch: each assigned unit is in treatment with the share; `loss` of those never log theirs. */
  const epoch = (random: SeededRandom, n: number, share: number, loss: number) => {
    const treatment = binomial(random, n, share);
    const lost = binomial(random, treatment, loss);
    return { observed: [treatment - lost, n - treatment], shares: [share, 1 - share] };
  };
  for (const allocation of allocations) {
    for (const n of sizes) {
      let falseAlarms = 0;
      let detected = 0;
      for (let e = 0; e < EXPERIMENTS; e++) {
        const random = SeededRandom.derive(SEED, 'online-stats', 'srm', allocation.name, n, e);
        if (sampleRatioMismatch([epoch(random, n, allocation.treatment, 0)]).mismatch) falseAlarms++;
        if (sampleRatioMismatch([epoch(random, n, allocation.treatment, LOSS)]).mismatch) detected++;
      }
      rows.push({ cells: [allocation.name, n.toLocaleString('en-US'), rate(falseAlarms, EXPERIMENTS), rate(detected, EXPERIMENTS)] });
    }
  }
  for (const n of sizes.slice(1)) {
    let falseAlarms = 0;
    let detected = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      const random = SeededRandom.derive(SEED, 'online-stats', 'srm-ramp', n, e);
      const run = (loss: number) =>
        sampleRatioMismatch([epoch(random, n / 2, 0.05, loss), epoch(random, n / 2, 0.5, loss)]).mismatch ? 1 : 0;
      falseAlarms += run(0);
      detected += run(LOSS);
    }
    rows.push({
      cells: ['ramp 5/95 → 50/50 (2 epochs)', n.toLocaleString('en-US'), rate(falseAlarms, EXPERIMENTS), rate(detected, EXPERIMENTS)],
    });
  }
  return {
    title: `(c) Sample-ratio check at p < 0.001: detection when ${LOSS * 100}% of treatment exposures are lost`,
    header: ['allocation', 'exposures assigned (N)', 'false alarm, no loss', `detected, ${LOSS * 100}% lost`],
    rows,
    notes: [
      `${EXPERIMENTS} experiments per row, one check after N assigned units; treatment count ~ Binomial(N, share), lost ~ Binomial(treatment, ${LOSS}).`,
      'binomials by inversion below a mean of 500, normal approximation above; the ramp row puts N/2 units in each epoch.',
    ],
  };
}

function cupedSection(): Section {
  const rows: Row[] = [];
  const units = 1000;
  for (const rho of [0.5, 0.8]) {
    let reportedReduction = 0;
    let rawSquares = 0;
    let adjustedSquares = 0;
    let rawRejected = 0;
    let adjustedRejected = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      const random = SeededRandom.derive(SEED, 'online-stats', 'cuped', rho, e);
      const arm = () => {
        const m = { n: units, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
        for (let i = 0; i < units; i++) {
          // Edits per plan: pre-period X and in-experiment Y, mean 1.5, sd 0.8, correlation ρ; A/A (no effect).
          const z1 = gaussian(random);
          const z2 = gaussian(random);
          const x = 1.5 + 0.8 * z1;
          const y = 1.5 + 0.8 * (rho * z1 + Math.sqrt(1 - rho * rho) * z2);
          m.sumY += y;
          m.sumY2 += y * y;
          m.sumX += x;
          m.sumX2 += x * x;
          m.sumXY += x * y;
        }
        return m;
      };
      const t = arm();
      const c = arm();
      const rawTreatment = summarize({ n: t.n, sum: t.sumY, sumSquares: t.sumY2 });
      const rawControl = summarize({ n: c.n, sum: c.sumY, sumSquares: c.sumY2 });
      const raw = differenceOfMeans(rawTreatment, rawControl);
      const result = cuped(t, c);
      const adjusted = differenceOfMeans(result.treatment, result.control);
      reportedReduction += result.varianceReduction;
      rawSquares += raw.estimate ** 2;
      adjustedSquares += adjusted.estimate ** 2;
      if (welchPValue(rawTreatment, rawControl) < ALPHA) rawRejected++;
      if (welchPValue(result.treatment, result.control) < ALPHA) adjustedRejected++;
    }
    rows.push({
      cells: [
        rho.toFixed(1),
        (rho * rho).toFixed(4),
        (reportedReduction / EXPERIMENTS).toFixed(4),
        (1 - adjustedSquares / rawSquares).toFixed(4),
        rate(rawRejected, EXPERIMENTS),
        rate(adjustedRejected, EXPERIMENTS),
      ],
    });
  }
  return {
    title: '(d) CUPED on a pre-period covariate (A/A, so the spread of estimates across experiments is the variance)',
    header: [
      'corr(X, Y)',
      'theory ρ²',
      'mean varianceReduction',
      'observed 1 − Var(CUPED)/Var(raw)',
      'A/A false pos. raw',
      'A/A false pos. CUPED',
    ],
    rows,
    notes: [
      `${EXPERIMENTS} A/A experiments, ${units} units per arm; X, Y bivariate normal (mean 1.5, sd 0.8, correlation ρ), like edits per plan before and during.`,
      'observed reduction: 1 − Σ(CUPED estimate)²/Σ(raw estimate)² over experiments (true effect 0); false positives: Welch t at α 0.05, once.',
    ],
  };
}

/** Waits until `group` has read `topic` to its end. */
async function drained(transport: KafkajsTransport, group: string, topic: TopicName): Promise<void> {
  while (!(await groupCaughtUp(transport, group, topic))) await new Promise((resolve) => setTimeout(resolve, 200));
}

/** (e) The experiment monitor's ingest rate against the dataset-builder's on the same messages. */
async function ingestRate(households: number): Promise<Section | null> {
  if (households === 0) return null;
  const stack = loadStackConfig();
  await assertStackReachable(stack, ['postgres', 'kafka']);
  process.env.LOG_LEVEL ??= 'warn';
  const life = await isolatedLifecycle(stack, 'bench_online_ingest');
  const { transport, bus } = clientBus(life.env, 'bench-online-ingest');
  try {
    const experimentId = 'experiment-bench-ingest';
    await bus.publish(
      'experiment.started',
      bus.event(
        'experiment.started',
        {
          experiment_id: experimentId,
          control_variant_id: `${experimentId}-control`,
          treatment_variant_id: `${experimentId}-treatment`,
          treatment_allocation: 0.5,
          policy_version_id: 'planner:bench:v1',
          baseline_policy_version_id: 'heuristic-baseline-v1',
        },
        experimentId,
      ),
    );
    const events = [
      ...generateEventStream({
        seed: SEED,
        households,
        weeks: 2,
        startMs: DEFAULT_WORLD_START_MS,
        experimentId,
        variantId: `${experimentId}-control`,
      }),
    ];
    for (let i = 0; i < events.length; i += 2000) await bus.publishMany('exp.events', events.slice(i, i + 2000), (e) => e.household_id);
    const rows: Row[] = [];
    const timings: Record<string, number> = {};
    for (const [name, group] of [
      ['dataset-builder', DATASET_GROUPS.events],
      ['experiment-monitor', MONITOR_GROUPS.events],
    ] as const) {
      const t0 = performance.now();
      const service = await startService(name, life.env);
      await drained(transport, group, 'exp.events');
      const seconds = (performance.now() - t0) / 1000;
      await service.stop();
      timings[name] = events.length / seconds;
      rows.push({
        cells: [
          name,
          name === 'dataset-builder' ? 'peer: one insert per event' : 'unit, bucket and history upserts',
          events.length.toLocaleString('en-US'),
          seconds.toFixed(1),
          Math.round(events.length / seconds).toLocaleString('en-US'),
        ],
      });
    }
    return {
      title: '(e) Ingest rate: exp.events through Kafka into each service (timed from start-up until the group has no lag)',
      header: ['service', 'work per event', 'events', 'seconds', 'events/s'],
      rows,
      notes: [
        `ratio monitor / dataset-builder: ${((timings['experiment-monitor'] as number) / (timings['dataset-builder'] as number)).toFixed(2)}×`,
        `${households} households × 2 weeks of the synthetic world, all in one experiment's control; 2 cores, both services in this process, one after the other.`,
      ],
    };
  } finally {
    await transport.close();
    await life.cleanup();
  }
}

function print(section: Section): void {
  const widths = section.header.map((h, i) => Math.max(h.length, ...section.rows.map((r) => (r.cells[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(`\n${section.title}`);
  console.log(line(section.header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of section.rows) console.log(line(row.cells));
  for (const note of section.notes) console.log(`  ${note}`);
}

const started = performance.now();
console.log(`bench online-stats: ${EXPERIMENTS} experiments per row, seed ${SEED}`);
for (const section of [...sequentialSections(), srmSection(), cupedSection(), await ingestRate(Number(values['ingest-households']))]) {
  if (section) print(section);
}
console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s`);
