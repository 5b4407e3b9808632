import { PollingLoop, ServiceRuntime } from '@planner/service-kit';
import type { Logger } from 'pino';
import type { MonitorConfig } from './config.ts';
import { expEventsHandler, writeGatheredEffects } from './handlers/exp-events.ts';
import { experimentRamped, experimentRolledBack, experimentStarted, modelPromoted } from './handlers/experiment-lifecycle.ts';
import { MonitorMetrics } from './monitor-metrics.ts';
import { monitorRoutes } from './routes.ts';
import { type CheckDeps, checkRunningExperiments } from './run-checks.ts';
import { type MonitorTables, monitorMigrations } from './tables.ts';

export const SERVICE_NAME = 'experiment-monitor';
export const GROUPS = {
  events: `${SERVICE_NAME}.exp-events`,
  started: `${SERVICE_NAME}.experiment-started`,
  ramped: `${SERVICE_NAME}.experiment-ramped`,
  rolledBack: `${SERVICE_NAME}.experiment-rolled-back`,
  promoted: `${SERVICE_NAME}.model-promoted`,
} as const;

export async function startExperimentMonitor(config: MonitorConfig, _env: NodeJS.ProcessEnv = process.env, logger?: Logger) {
  const runtime = new ServiceRuntime<MonitorTables>({ name: SERVICE_NAME, config: config.common, ...(logger ? { logger } : {}) });
  await runtime.migrate(monitorMigrations);
  const deps: CheckDeps = {
    db: runtime.db,
    bus: runtime.bus,
    metrics: new MonitorMetrics(runtime.metrics),
    settings: config,
  };
  const checks = new PollingLoop({
    step: async () => {
      await checkRunningExperiments(deps);
      return false;
    },
    idleMs: config.checkIntervalSeconds * 1000,
    // A check every interval, not an interval after each check: the time from a breach to its check stays under one.
    fixedRate: true,
    onError: (error) => runtime.logger.warn({ err: error }, 'experiment checks failed; the next round tries again'),
  });
  runtime.addWorker(checks);

  let sinceCheck = 0;
  runtime.subscribe({
    groupId: GROUPS.events,
    topic: 'exp.events',
    handler: expEventsHandler({
      bucketSeconds: config.bucketSeconds,
      unknownExperimentWaitMs: config.unknownExperimentWaitSeconds * 1000,
      unknownSince: new Map(),
      variants: new Map(),
    }),
    beforeCommit: writeGatheredEffects,
    afterCommit: (_event, { duplicate }) => {
      if (duplicate || ++sinceCheck < config.checkEveryEvents) return;
      sinceCheck = 0;
      checks.wake();
    },
  });
  // After the commit, so a change is shown once the monitor holds it; a redelivered event is old news and changes nothing.
  const metrics = deps.metrics;
  runtime.subscribe({
    groupId: GROUPS.started,
    topic: 'experiment.started',
    handler: experimentStarted,
    afterCommit: (e, { duplicate }) => duplicate || metrics.changed(e.experiment_id, 'started', e.occurred_at, e.treatment_allocation),
  });
  runtime.subscribe({
    groupId: GROUPS.ramped,
    topic: 'experiment.ramped',
    handler: experimentRamped,
    afterCommit: (e, { duplicate }) => duplicate || metrics.changed(e.experiment_id, 'ramped', e.occurred_at, e.to_allocation),
  });
  runtime.subscribe({
    groupId: GROUPS.rolledBack,
    topic: 'experiment.rolled_back',
    handler: experimentRolledBack,
    afterCommit: (e, { duplicate }) => duplicate || metrics.changed(e.experiment_id, 'rolled_back', e.occurred_at, 0),
  });
  runtime.subscribe({
    groupId: GROUPS.promoted,
    topic: 'model.promoted',
    handler: modelPromoted,
    afterCommit: (e, { duplicate }) => duplicate || metrics.changed(e.experiment_id, 'promoted', e.occurred_at),
  });
  const app = await runtime.app();
  monitorRoutes(app, deps);
  const address = await runtime.start();
  return { address, runtime, stop: () => runtime.stop() };
}
