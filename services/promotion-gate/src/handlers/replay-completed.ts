import { createHash } from 'node:crypto';
import { type EventBus, EventRejected, type HandlerContext } from '@planner/bus';
import type { ReplayCompleted, RuleOutcome } from '@planner/schemas';
import { configVersion, type GateConfig } from '../gate-config.ts';
import { evaluateRules } from '../gate-rules.ts';
import { recordReplayCompleted } from '../lineage/lineage-handlers.ts';
import { openExperiment } from '../open-experiment.ts';
import type { ReplayEvaluatorClient } from '../replay-evaluator-client.ts';
import type { GateTables } from '../tables.ts';

const idOf = (prefix: string, ...parts: string[]) => `${prefix}-${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16)}`;

/**
 * Judges one replay with the rules of seed §6.1 and records the decision with
 * all its evidence. Pass: the policy version becomes a candidate, an
 * experiment opens with the baseline as control and the candidate as a
 * treatment of at most 10% (running, with experiment.started, or queued
 * behind the policy's running one), and gate.passed goes out; fail: the
 * version is rejected and gate.rejected lists every rule. One decision per replay.
 * The rows come from the replay-evaluator's API, checked to be the ones the
 * event's results digest names; until they are, the event is retried.
 */
export function replayCompletedHandler(deps: { bus: EventBus; config: GateConfig; replays: ReplayEvaluatorClient }) {
  const version = configVersion(deps.config);
  return async (event: ReplayCompleted, { trx }: HandlerContext<GateTables>): Promise<void> => {
    await recordReplayCompleted(trx, event);
    const decided = await trx
      .selectFrom('exp.gate_decisions')
      .select('decision_id')
      .where('replay_id', '=', event.replay_id)
      .executeTakeFirst();
    if (decided) return;
    const candidate = await trx
      .selectFrom('exp.policy_versions')
      .selectAll()
      .where('policy_version_id', '=', event.candidate.policy_version_id)
      .executeTakeFirst();
    if (!candidate) {
      throw new EventRejected(
        'POLICY_VERSION_UNKNOWN',
        `no policy version ${event.candidate.policy_version_id}: its model.registered was never seen here`,
      );
    }
    const pairs = await deps.replays.pairedRows(event.replay_id, event.results_digest);
    if (!pairs) throw new EventRejected('REPLAY_UNKNOWN', `the replay-evaluator knows no replay ${event.replay_id}`);
    if (pairs.length < 2) {
      throw new EventRejected('REPLAY_UNKNOWN', `replay ${event.replay_id} has ${pairs.length} paired results; judging needs at least 2`);
    }

    const rules = evaluateRules(pairs, deps.config);
    const passed = rules.every((r) => r.passed);
    const decisionId = idOf('decision', event.replay_id);
    await trx
      .insertInto('exp.gate_decisions')
      .values({
        decision_id: decisionId,
        replay_id: event.replay_id,
        policy_version_id: candidate.policy_version_id,
        outcome: passed ? 'passed' : 'rejected',
        rules: JSON.stringify(rules),
        config: JSON.stringify(deps.config),
        config_version: version,
      })
      .execute();
    // Another replay of a version already online (in an experiment, active, rolled back, retired) records its decision
    // but leaves the status alone: its life is decided online now, and the experiments' invariants depend on it.
    await trx
      .updateTable('exp.policy_versions')
      .set({ status: passed ? 'candidate' : 'rejected', updated_at: new Date() })
      .where('policy_version_id', '=', candidate.policy_version_id)
      .where('status', 'in', ['registered', 'candidate', 'rejected'])
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('exp.variants as v')
              .innerJoin('exp.experiments as e', 'e.experiment_id', 'v.experiment_id')
              .select('v.variant_id')
              .where('v.policy_version_id', '=', candidate.policy_version_id)
              .where('v.role', '=', 'treatment')
              .where('e.status', 'in', ['queued', 'running', 'paused']),
          ),
        ),
      )
      .execute();
    const outcomes: RuleOutcome[] = rules.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail }));
    const common = {
      decision_id: decisionId,
      replay_id: event.replay_id,
      model_name: candidate.mlflow_model_name ?? '',
      model_version: candidate.mlflow_model_version ?? '',
      policy_version_id: candidate.policy_version_id,
      rules: outcomes,
      config_version: version,
    };
    if (!passed) {
      await deps.bus.enqueue(
        trx,
        'gate.rejected',
        deps.bus.event('gate.rejected', common, event.correlation_id),
        candidate.policy_version_id,
      );
      return;
    }

    const opened = await openExperiment(trx, {
      experimentId: idOf('experiment', decisionId),
      decisionId,
      policyId: candidate.policy_id,
      policyVersionId: candidate.policy_version_id,
      treatmentAllocation: deps.config.treatmentAllocation,
    });
    // A queued experiment serves no traffic yet: experiment.started goes out when it starts (stage III).
    if (opened.opened && opened.status === 'running') {
      const started = deps.bus.event(
        'experiment.started',
        {
          experiment_id: opened.experimentId,
          control_variant_id: opened.controlVariantId,
          treatment_variant_id: opened.treatmentVariantId,
          treatment_allocation: opened.treatmentAllocation,
          policy_version_id: candidate.policy_version_id,
          baseline_policy_version_id: opened.baselinePolicyVersionId,
        },
        event.correlation_id,
      );
      await deps.bus.enqueue(trx, 'experiment.started', started, opened.experimentId);
    }
    const gatePassed = deps.bus.event(
      'gate.passed',
      {
        ...common,
        experiment_id: opened.experimentId,
        treatment_variant_id: opened.treatmentVariantId,
        treatment_allocation: opened.treatmentAllocation,
      },
      event.correlation_id,
    );
    await deps.bus.enqueue(trx, 'gate.passed', gatePassed, candidate.policy_version_id);
  };
}
