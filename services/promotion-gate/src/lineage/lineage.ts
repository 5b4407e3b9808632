import type { DatasetReady, DatasetRequested, ModelRegistered, ReplayCompleted, TrainingCompleted } from '@planner/schemas';
import { type Kysely, sql } from 'kysely';
import type { GateTables, OnlineDecisionKind, PolicyStatus } from '../tables.ts';
import type { LineageFactKind, LineageTables } from './lineage-tables.ts';

/** The window a dataset version was built from, as dataset.requested asked for it. */
export interface DatasetRequestStep {
  dataset_version: string;
  model_name: string;
  window_start: string;
  window_end: string;
  dataset_date: string;
  split_seed: number;
  requested_by: string;
  correlation_id: string;
  requested_at: string;
}

/** The built dataset version, as dataset.ready announced it. */
export interface DatasetStep {
  dataset_version: string;
  digest: string;
  location: string;
  row_count: number;
  field_count: number;
  split: { train: number; validation: number; evaluation: number };
  mlflow_run_id: string;
  correlation_id: string;
  ready_at: string;
}

/** The training job, as training.completed reported it. */
export interface TrainingStep {
  job_id: string;
  run_id: string;
  dataset_version: string;
  recipe: string;
  backend: string;
  duration_seconds: number;
  correlation_id: string;
  completed_at: string;
}

/** The model version: the gate's policy version, with what model.registered said of it (null where that was not recorded). */
export interface ModelStep {
  model_name: string;
  model_version: string;
  model_uri: string | null;
  run_id: string | null;
  dataset_version: string | null;
  registered_outside_pipeline: boolean | null;
  correlation_id: string | null;
  registered_at: string;
}

export interface RuleStep {
  rule: string;
  passed: boolean;
  detail: string;
}

export interface GateDecisionStep {
  decision_id: string;
  outcome: 'passed' | 'rejected';
  rules: RuleStep[];
  config_version: string;
  decided_at: string;
}

/** One replay of the version (replay.completed; null fields where it was not recorded) and the gate's decision on it. */
export interface ReplayStep {
  replay_id: string;
  baseline_policy_version_id: string | null;
  dataset_version: string | null;
  seed: number | null;
  row_count: number | null;
  results_digest: string | null;
  offline_score_candidate: number | null;
  offline_score_baseline: number | null;
  score_version: string | null;
  mlflow_run_id: string | null;
  correlation_id: string | null;
  completed_at: string | null;
  gate_decision: GateDecisionStep | null;
}

/** One change to a live experiment, with what it relied on. */
export interface OnlineDecisionStep {
  decision_id: string;
  kind: OnlineDecisionKind;
  from_allocation: number;
  to_allocation: number;
  check_id: string | null;
  check_status: string | null;
  config_version: string;
  actor: string;
  reason: string;
  at: string;
}

/** An experiment where the version is the treatment, and every decision on it, oldest first. */
export interface ExperimentStep {
  experiment_id: string;
  status: string;
  gate_decision_id: string;
  opened_at: string;
  control_policy_version_id: string | null;
  treatment_variant_id: string;
  initial_allocation: number;
  treatment_allocation: number;
  decisions: OnlineDecisionStep[];
}

export type EndOutcome =
  | 'awaiting_replay'
  | 'rejected'
  | 'queued'
  | 'in_experiment'
  | 'paused'
  | 'candidate'
  | 'promoted'
  | 'active'
  | 'rolled_back'
  | 'retired';

/** Where the version stands now, and the decision that put it there. */
export interface EndState {
  status: PolicyStatus;
  outcome: EndOutcome;
  decision_id: string | null;
  experiment_id: string | null;
  at: string | null;
  detail: string;
}

/** A policy version's whole history, from the event window to its promotion or rollback. */
export interface LineageAnswer {
  policy_version_id: string;
  policy_id: string;
  version: number;
  status: PolicyStatus;
  dataset_request: DatasetRequestStep | null;
  dataset: DatasetStep | null;
  training: TrainingStep | null;
  model: ModelStep | null;
  replays: ReplayStep[];
  experiments: ExperimentStep[];
  end_state: EndState;
  /** Why a step is missing or does not fit the next one, one line each. */
  notes: string[];
}

type Db = Kysely<GateTables & LineageTables>;
type Fact<T> = { payload: T; occurred_at: Date };

const iso = (d: Date | number) => new Date(d).toISOString();

async function fact<T>(db: Db, kind: LineageFactKind, key: string): Promise<Fact<T> | undefined> {
  const row = await db
    .selectFrom('exp.lineage_facts')
    .select(['payload', 'occurred_at'])
    .where('kind', '=', kind)
    .where('key', '=', key)
    .executeTakeFirst();
  return row ? { payload: row.payload as unknown as T, occurred_at: row.occurred_at } : undefined;
}

const percent = (x: number) => `${Number((x * 100).toFixed(2))}%`;

function endState(
  version: { status: PolicyStatus; policy_version_id: string },
  replays: ReplayStep[],
  experiments: ExperimentStep[],
  retiredBy: { decision_id: string; experiment_id: string; policy_version_id: string; at: Date } | undefined,
): EndState {
  const decisions = experiments.flatMap((e) => e.decisions.map((d) => ({ ...d, experiment_id: e.experiment_id })));
  const last = (kinds: readonly OnlineDecisionKind[]) => decisions.filter((d) => kinds.includes(d.kind)).at(-1);
  const latestExperiment = experiments.at(-1);
  const base = { status: version.status, decision_id: null, experiment_id: null, at: null };
  const gateDecisions = replays.flatMap((r) => (r.gate_decision ? [r.gate_decision] : []));
  switch (version.status) {
    case 'registered':
      return { ...base, outcome: 'awaiting_replay', detail: 'registered: no gate decision yet' };
    case 'rejected': {
      const rejected = gateDecisions.filter((d) => d.outcome === 'rejected').at(-1);
      const failed = rejected?.rules.filter((r) => !r.passed).map((r) => r.rule) ?? [];
      return {
        ...base,
        outcome: 'rejected',
        decision_id: rejected?.decision_id ?? null,
        at: rejected?.decided_at ?? null,
        detail: rejected ? `rejected by the gate: ${failed.join(', ') || 'no rule named'} failed` : 'rejected (no gate decision recorded)',
      };
    }
    case 'candidate': {
      if (!latestExperiment) return { ...base, outcome: 'candidate', detail: 'passed the gate; no experiment recorded' };
      const where = { ...base, experiment_id: latestExperiment.experiment_id, at: latestExperiment.opened_at };
      if (latestExperiment.status === 'queued')
        return {
          ...where,
          outcome: 'queued',
          detail: `queued: experiment ${latestExperiment.experiment_id} waits for the live one to end`,
        };
      if (latestExperiment.status === 'paused') {
        const paused = last(['pause']);
        return {
          ...where,
          outcome: 'paused',
          decision_id: paused?.decision_id ?? null,
          at: paused?.at ?? where.at,
          detail: `paused in experiment ${latestExperiment.experiment_id}${paused ? ` by ${paused.actor}: ${paused.reason}` : ''}`,
        };
      }
      const latest = latestExperiment.decisions.at(-1);
      return {
        ...where,
        outcome: latestExperiment.status === 'running' ? 'in_experiment' : 'candidate',
        decision_id: latest?.decision_id ?? null,
        at: latest?.at ?? where.at,
        detail: `${latestExperiment.status} in experiment ${latestExperiment.experiment_id} at ${percent(latestExperiment.treatment_allocation)} of traffic`,
      };
    }
    case 'active': {
      const promoted = last(['promote']);
      if (!promoted)
        return { ...base, outcome: 'active', detail: 'in production, without a promotion recorded here (the bootstrapped baseline)' };
      return {
        ...base,
        outcome: 'promoted',
        decision_id: promoted.decision_id,
        experiment_id: promoted.experiment_id,
        at: promoted.at,
        detail: `promoted to production by ${promoted.actor} at ${percent(promoted.to_allocation)}: ${promoted.reason}`,
      };
    }
    case 'rolled_back': {
      const rolled = last(['rollback', 'abort']);
      return {
        ...base,
        outcome: 'rolled_back',
        decision_id: rolled?.decision_id ?? null,
        experiment_id: rolled?.experiment_id ?? null,
        at: rolled?.at ?? null,
        detail: rolled
          ? `${rolled.kind === 'abort' ? 'aborted' : 'rolled back'} by ${rolled.actor} from ${percent(rolled.from_allocation)}: ${rolled.reason}`
          : 'rolled back (no decision recorded)',
      };
    }
    case 'retired': {
      const promoted = last(['promote']);
      return {
        ...base,
        outcome: 'retired',
        decision_id: retiredBy?.decision_id ?? null,
        experiment_id: retiredBy?.experiment_id ?? null,
        at: retiredBy ? iso(retiredBy.at) : null,
        detail:
          (promoted ? `promoted at ${promoted.at}, then ` : '') +
          (retiredBy
            ? `retired when ${retiredBy.policy_version_id} was promoted (experiment ${retiredBy.experiment_id})`
            : 'retired from production'),
      };
    }
  }
}

/**
 * Everything the gate knows of one policy version, in order: the event window
 * and the dataset built from it, the training job and its MLflow run, the
 * model version, its replays with their digests and the gate's decisions, the
 * experiments that treated it with every allocation change and check, and
 * where it ended. Upstream steps come from the facts the gate recorded from
 * their events; a step it never saw is null, with a note saying why. Undefined
 * for a version the gate does not know.
 */
export async function lineageOf<DB extends GateTables & LineageTables>(
  database: Kysely<DB>,
  policyVersionId: string,
): Promise<LineageAnswer | undefined> {
  const db = database as unknown as Db;
  const version = await db
    .selectFrom('exp.policy_versions')
    .selectAll()
    .where('policy_version_id', '=', policyVersionId)
    .executeTakeFirst();
  if (!version) return undefined;
  const notes: string[] = [];

  // The model version, and what model.registered said of its run.
  const registered = await fact<ModelRegistered>(db, 'model_registered', policyVersionId);
  let model: ModelStep | null = null;
  if (version.mlflow_model_name !== null && version.mlflow_model_version !== null) {
    model = {
      model_name: version.mlflow_model_name,
      model_version: version.mlflow_model_version,
      model_uri: version.model_uri,
      run_id: registered?.payload.run_id ?? null,
      dataset_version: registered?.payload.dataset_version ?? version.dataset_version,
      registered_outside_pipeline: registered?.payload.registered_outside_pipeline ?? null,
      correlation_id: registered?.payload.correlation_id ?? null,
      registered_at: iso(registered?.occurred_at ?? version.created_at),
    };
    if (!registered)
      notes.push(`model.registered for ${policyVersionId} was not recorded (it came before lineage was kept): its MLflow run is unknown`);
    else if (registered.payload.registered_outside_pipeline)
      notes.push(
        `${model.model_name} v${model.model_version} was registered outside the pipeline (by hand): no training job of the pipeline made it`,
      );
  } else {
    notes.push(`${policyVersionId} is not a registered model (the heuristic baseline): it has no dataset, training run or model version`);
  }

  // The training job behind the run.
  const trained = model?.run_id ? await fact<TrainingCompleted>(db, 'training_completed', model.run_id) : undefined;
  const training: TrainingStep | null = trained
    ? {
        job_id: trained.payload.job_id,
        run_id: trained.payload.run_id,
        dataset_version: trained.payload.dataset_version,
        recipe: trained.payload.recipe,
        backend: trained.payload.backend,
        duration_seconds: trained.payload.duration_seconds,
        correlation_id: trained.payload.correlation_id,
        completed_at: iso(trained.occurred_at),
      }
    : null;
  if (model?.run_id && !training && !registered?.payload.registered_outside_pipeline)
    notes.push(`no training.completed was recorded for MLflow run ${model.run_id}: the training job is unknown`);
  if (training && model?.dataset_version && training.dataset_version !== model.dataset_version)
    notes.push(
      `the training job says dataset ${training.dataset_version}, the registered model says ${model.dataset_version}: the dataset shown is the job's`,
    );

  // The dataset version, and the request (window) it was built from.
  const datasetVersion = training?.dataset_version ?? model?.dataset_version ?? null;
  let dataset: DatasetStep | null = null;
  let datasetRequest: DatasetRequestStep | null = null;
  if (datasetVersion !== null) {
    const ready = await fact<DatasetReady>(db, 'dataset_ready', datasetVersion);
    if (ready)
      dataset = {
        dataset_version: ready.payload.dataset_version,
        digest: ready.payload.digest,
        location: ready.payload.location,
        row_count: ready.payload.row_count,
        field_count: ready.payload.field_count,
        split: ready.payload.split,
        mlflow_run_id: ready.payload.mlflow_run_id,
        correlation_id: ready.payload.correlation_id,
        ready_at: iso(ready.occurred_at),
      };
    else notes.push(`no dataset.ready was recorded for dataset ${datasetVersion}: its digest and location are unknown`);
    const requested = await fact<DatasetRequested>(db, 'dataset_requested', datasetVersion);
    if (requested)
      datasetRequest = {
        dataset_version: datasetVersion,
        model_name: requested.payload.model_name,
        window_start: iso(requested.payload.window_start),
        window_end: iso(requested.payload.window_end),
        dataset_date: requested.payload.dataset_date,
        split_seed: requested.payload.split_seed,
        requested_by: requested.payload.requested_by,
        correlation_id: requested.payload.correlation_id,
        requested_at: iso(requested.occurred_at),
      };
    else notes.push(`no dataset.requested was recorded for dataset ${datasetVersion}: its event window is unknown`);
  } else if (model) {
    notes.push('the dataset version is unknown');
  }

  // Replays of the version, and the gate's decision on each.
  const replayFacts = await db
    .selectFrom('exp.lineage_facts')
    .select(['payload', 'occurred_at'])
    .where('kind', '=', 'replay_completed')
    .where(sql<string>`payload -> 'candidate' ->> 'policy_version_id'`, '=', policyVersionId)
    .orderBy('occurred_at')
    .orderBy('key')
    .execute();
  const gateDecisions = await db
    .selectFrom('exp.gate_decisions')
    .selectAll()
    .where('policy_version_id', '=', policyVersionId)
    .orderBy('created_at')
    .orderBy('decision_id')
    .execute();
  const decisionOf = (replayId: string): GateDecisionStep | null => {
    const d = gateDecisions.find((g) => g.replay_id === replayId);
    if (!d) return null;
    const rules = (Array.isArray(d.rules) ? d.rules : []) as RuleStep[];
    return {
      decision_id: d.decision_id,
      outcome: d.outcome,
      rules: rules.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail })),
      config_version: d.config_version,
      decided_at: iso(d.created_at),
    };
  };
  const replays: ReplayStep[] = replayFacts.map(({ payload, occurred_at }) => {
    const r = payload as unknown as ReplayCompleted;
    const decided = decisionOf(r.replay_id);
    if (!decided)
      notes.push(`replay ${r.replay_id} has no gate decision (not judged yet, or refused: see the dead letters of replay.completed)`);
    return {
      replay_id: r.replay_id,
      baseline_policy_version_id: r.baseline.policy_version_id,
      dataset_version: r.dataset_version,
      seed: r.seed,
      row_count: r.row_count,
      results_digest: r.results_digest,
      offline_score_candidate: r.offline_score_candidate,
      offline_score_baseline: r.offline_score_baseline,
      score_version: r.score_version,
      mlflow_run_id: r.mlflow_run_id,
      correlation_id: r.correlation_id,
      completed_at: iso(occurred_at),
      gate_decision: decided,
    };
  });
  for (const d of gateDecisions) {
    if (replays.some((r) => r.replay_id === d.replay_id)) continue;
    notes.push(`replay.completed for replay ${d.replay_id} was not recorded: its results digest is unknown`);
    replays.push({
      replay_id: d.replay_id,
      baseline_policy_version_id: null,
      dataset_version: null,
      seed: null,
      row_count: null,
      results_digest: null,
      offline_score_candidate: null,
      offline_score_baseline: null,
      score_version: null,
      mlflow_run_id: null,
      correlation_id: null,
      completed_at: null,
      gate_decision: decisionOf(d.replay_id),
    });
  }
  replays.sort((a, b) =>
    (a.completed_at ?? a.gate_decision?.decided_at ?? '').localeCompare(b.completed_at ?? b.gate_decision?.decided_at ?? ''),
  );
  if (replays.length === 0 && model) notes.push('no replay of this version was recorded yet');

  // Experiments that treated it, and every decision on them.
  const treated = await db
    .selectFrom('exp.experiments as e')
    .innerJoin('exp.variants as t', (join) => join.onRef('t.experiment_id', '=', 'e.experiment_id').on('t.role', '=', 'treatment'))
    .leftJoin('exp.variants as c', (join) => join.onRef('c.experiment_id', '=', 'e.experiment_id').on('c.role', '=', 'control'))
    .select([
      'e.experiment_id',
      'e.status',
      'e.decision_id',
      'e.created_at',
      't.variant_id as treatment_variant_id',
      't.allocation as treatment_allocation',
      'c.policy_version_id as control_policy_version_id',
    ])
    .where('t.policy_version_id', '=', policyVersionId)
    .orderBy('e.created_at')
    .orderBy('e.experiment_id')
    .execute();
  const online =
    treated.length === 0
      ? []
      : await db
          .selectFrom('exp.online_decisions')
          .select([
            'decision_id',
            'experiment_id',
            'kind',
            'from_allocation',
            'to_allocation',
            'check_id',
            'check_status',
            'config_version',
            'actor',
            'reason',
            'created_at',
          ])
          .where(
            'experiment_id',
            'in',
            treated.map((e) => e.experiment_id),
          )
          .orderBy('created_at')
          .orderBy('decision_id')
          .execute();
  const experiments: ExperimentStep[] = treated.map((e) => {
    const decisions = online
      .filter((d) => d.experiment_id === e.experiment_id)
      .map(({ experiment_id: _e, created_at, ...d }) => ({ ...d, at: iso(created_at) }));
    return {
      experiment_id: e.experiment_id,
      status: e.status,
      gate_decision_id: e.decision_id,
      opened_at: iso(e.created_at),
      control_policy_version_id: e.control_policy_version_id,
      treatment_variant_id: e.treatment_variant_id,
      initial_allocation: decisions[0]?.from_allocation ?? e.treatment_allocation,
      treatment_allocation: e.treatment_allocation,
      decisions,
    };
  });

  // A retired version: the promotion that replaced it (it was the control then).
  const retiredBy =
    version.status === 'retired'
      ? await db
          .selectFrom('exp.online_decisions as d')
          .innerJoin('exp.variants as c', (join) => join.onRef('c.experiment_id', '=', 'd.experiment_id').on('c.role', '=', 'control'))
          .innerJoin('exp.variants as t', (join) => join.onRef('t.experiment_id', '=', 'd.experiment_id').on('t.role', '=', 'treatment'))
          .select(['d.decision_id', 'd.experiment_id', 't.policy_version_id', 'd.created_at as at'])
          .where('d.kind', '=', 'promote')
          .where('c.policy_version_id', '=', policyVersionId)
          .orderBy('d.created_at', 'desc')
          .executeTakeFirst()
      : undefined;

  return {
    policy_version_id: version.policy_version_id,
    policy_id: version.policy_id,
    version: version.version,
    status: version.status,
    dataset_request: datasetRequest,
    dataset,
    training,
    model,
    replays,
    experiments,
    end_state: endState(version, replays, experiments, retiredBy),
    notes,
  };
}

const when = (t: string | null | undefined) => (t ? t.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '—');
const share = percent;
const score = (x: number | null) => (x === null ? '?' : String(Number(x.toPrecision(6))));

/** The answer as a readable table: STEP, WHEN, WHAT, one row per step and per decision, then the notes. */
export function renderLineage(answer: LineageAnswer): string {
  const rows: [string, string, string][] = [];
  const row = (step: string, at: string | null | undefined, what: string) => rows.push([step, when(at), what]);
  const missing = '(not recorded)';

  const q = answer.dataset_request;
  row(
    'dataset request',
    q?.requested_at,
    q
      ? `${q.dataset_version}: events in [${when(q.window_start)}, ${when(q.window_end)}), split seed ${q.split_seed}, by ${q.requested_by}`
      : missing,
  );
  const d = answer.dataset;
  row(
    'dataset',
    d?.ready_at,
    d
      ? `${d.dataset_version}: ${d.row_count} rows (train ${d.split.train}, validation ${d.split.validation}, evaluation ${d.split.evaluation}), ` +
          `digest ${d.digest}, at ${d.location}, MLflow run ${d.mlflow_run_id}`
      : missing,
  );
  const t = answer.training;
  row(
    'training job',
    t?.completed_at,
    t
      ? `job ${t.job_id}: recipe ${t.recipe} on ${t.backend}, ${Number(t.duration_seconds.toFixed(1))} s, dataset ${t.dataset_version}, MLflow run ${t.run_id}`
      : missing,
  );
  const m = answer.model;
  row(
    'model version',
    m?.registered_at,
    m
      ? `${m.model_name} v${m.model_version}${m.model_uri ? ` (${m.model_uri})` : ''}, MLflow run ${m.run_id ?? '?'}` +
          `${m.registered_outside_pipeline ? ', registered outside the pipeline' : ''}`
      : 'none (not a registered model)',
  );
  if (answer.replays.length === 0) row('replay', null, m ? missing : 'none');
  for (const r of answer.replays) {
    row(
      'replay',
      r.completed_at,
      r.results_digest === null
        ? `${r.replay_id}: replay.completed not recorded, results digest unknown`
        : `${r.replay_id}: vs ${r.baseline_policy_version_id} on ${r.dataset_version} (seed ${r.seed}), ${r.row_count} rows, ` +
            `offline score ${score(r.offline_score_candidate)} vs ${score(r.offline_score_baseline)} (${r.score_version}), ` +
            `results digest ${r.results_digest}, MLflow run ${r.mlflow_run_id}`,
    );
    const g = r.gate_decision;
    if (!g) {
      row('  gate decision', null, '(none yet)');
      continue;
    }
    const passed = g.rules.filter((rule) => rule.passed).length;
    row(
      '  gate decision',
      g.decided_at,
      `${g.outcome} (${g.decision_id}), config ${g.config_version}: ${passed} of ${g.rules.length} rules passed`,
    );
    for (const rule of g.rules) row(`    ${rule.passed ? 'pass' : 'FAIL'}`, null, `${rule.rule}: ${rule.detail}`);
  }
  if (answer.experiments.length === 0) row('experiment', null, 'none');
  for (const e of answer.experiments) {
    row(
      'experiment',
      e.opened_at,
      `${e.experiment_id} (gate decision ${e.gate_decision_id}): ${e.status}, control ${e.control_policy_version_id ?? '?'}, ` +
        `treatment ${e.treatment_variant_id} from ${share(e.initial_allocation)}, now ${share(e.treatment_allocation)}`,
    );
    for (const o of e.decisions) {
      const check = o.check_id ? `, check ${o.check_id} (${o.check_status ?? '?'})` : '';
      row(`  ${o.kind}`, o.at, `${share(o.from_allocation)} → ${share(o.to_allocation)}${check}, by ${o.actor}: ${o.reason}`);
    }
  }
  const end = answer.end_state;
  row('end state', end.at, `${end.outcome} (${end.status}): ${end.detail}`);

  const header: [string, string, string] = ['STEP', 'WHEN', 'WHAT'];
  const widths = [0, 1].map((i) => Math.max(...[header, ...rows].map((r) => r[i]?.length ?? 0)));
  const line = (r: [string, string, string]) => `${r[0].padEnd(widths[0] ?? 0)}  ${r[1].padEnd(widths[1] ?? 0)}  ${r[2]}`.trimEnd();
  const out = [
    `Lineage of ${answer.policy_version_id} (policy ${answer.policy_id}, version ${answer.version}): ${end.outcome}`,
    '',
    line(header),
    ...rows.map(line),
  ];
  if (answer.notes.length > 0) out.push('', 'Notes:', ...answer.notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}
