import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';

/** Absolute non-inferiority margins, in each metric's unit: how much worse the treatment may be (higher is worse). */
export interface GuardrailMargins {
  edits_per_plan: number;
  interventions_per_plan: number;
  latency_p95_ms: number;
  cost_per_plan_usd: number;
}

export interface MonitorConfig {
  common: CommonConfig;
  /** Error rate of every sequential test (MONITOR_ALPHA). */
  alpha: number;
  /** Mixing scale of the acceptance test: the size of effect it is most sensitive to (MONITOR_TAU_ACCEPTANCE). */
  tauAcceptance: number;
  margins: GuardrailMargins;
  /** Below this many households with an outcome in either arm, or this soon after the start, a check says `collecting`. */
  minUnitsPerArm: number;
  minDurationSeconds: number;
  /** The planned sample: both arms this large and nothing decided is `inconclusive`. */
  maxUnitsPerArm: number;
  /** Checks run this often, and also after every `checkEveryEvents` events. */
  checkIntervalSeconds: number;
  checkEveryEvents: number;
  /** Width of the time buckets metrics are kept in (MONITOR_BUCKET_SECONDS). */
  bucketSeconds: number;
  /** Exposures this soon after a ramp are left out of the SRM check: assignment caches upstream still serve the old split. */
  srmGraceSeconds: number;
  /** How long events of an experiment the monitor has not heard of wait for its experiment.started before they are dead-lettered. */
  unknownExperimentWaitSeconds: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  const reader = new ConfigReader(env);
  const config = {
    common: readCommonConfig(reader, 8086),
    alpha: reader.number('MONITOR_ALPHA', 0.05, { min: 1e-6, max: 0.5 }),
    tauAcceptance: reader.number('MONITOR_TAU_ACCEPTANCE', 0.02, { min: 1e-6, max: 1 }),
    margins: {
      edits_per_plan: reader.number('MONITOR_MARGIN_EDITS_PER_PLAN', 0.25, { min: 1e-9 }),
      interventions_per_plan: reader.number('MONITOR_MARGIN_INTERVENTIONS_PER_PLAN', 0.05, { min: 1e-9 }),
      latency_p95_ms: reader.number('MONITOR_MARGIN_LATENCY_P95_MS', 100, { min: 1e-9 }),
      cost_per_plan_usd: reader.number('MONITOR_MARGIN_COST_PER_PLAN_USD', 0.001, { min: 1e-12 }),
    },
    minUnitsPerArm: reader.int('MONITOR_MIN_UNITS_PER_ARM', 100, { min: 2, max: 10_000_000 }),
    minDurationSeconds: reader.int('MONITOR_MIN_DURATION_SECONDS', 3600, { min: 0, max: 365 * 86_400 }),
    maxUnitsPerArm: reader.int('MONITOR_MAX_UNITS_PER_ARM', 200_000, { min: 2, max: 1_000_000_000 }),
    checkIntervalSeconds: reader.int('MONITOR_CHECK_INTERVAL_SECONDS', 60, { min: 1, max: 86_400 }),
    checkEveryEvents: reader.int('MONITOR_CHECK_EVERY_EVENTS', 10_000, { min: 1, max: 100_000_000 }),
    bucketSeconds: reader.int('MONITOR_BUCKET_SECONDS', 3600, { min: 60, max: 7 * 86_400 }),
    srmGraceSeconds: reader.int('MONITOR_SRM_GRACE_SECONDS', 10, { min: 0, max: 3600 }),
    unknownExperimentWaitSeconds: reader.int('MONITOR_UNKNOWN_EXPERIMENT_WAIT_SECONDS', 60, { min: 0, max: 86_400 }),
  };
  reader.done();
  return config;
}
