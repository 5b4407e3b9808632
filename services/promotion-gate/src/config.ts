import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';
import { type GateConfig, readGateConfig } from './gate-config.ts';
import { type RampConfig, readRampConfig } from './ramp-config.ts';

export interface PromotionGateConfig {
  common: CommonConfig;
  gate: GateConfig;
  ramp: RampConfig;
  /** The policy whose first active version is the heuristic baseline. */
  policyId: string;
  /** How long a replica serves an active document before reading it again (ASSIGNMENT_CACHE_MS): the most a change can lag. */
  assignmentCacheMs: number;
  /**
   * The replay-evaluator's HTTP address (REPLAY_EVALUATOR_URL): where the gate reads the rows of each replay it
   * judges. Defaults to the replay-evaluator's default port on this host.
   */
  replayEvaluatorUrl: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): PromotionGateConfig {
  const reader = new ConfigReader(env);
  const config = {
    common: readCommonConfig(reader, 8085),
    gate: readGateConfig(reader),
    ramp: readRampConfig(reader),
    policyId: reader.string('POLICY_ID', 'planner'),
    assignmentCacheMs: reader.int('ASSIGNMENT_CACHE_MS', 1000, { min: 0, max: 60_000 }),
    replayEvaluatorUrl: reader.url('REPLAY_EVALUATOR_URL', 'http://127.0.0.1:8084'),
  };
  // `host:port` parses as a URL whose scheme is the host: refused here rather than at the first replay.
  if (URL.canParse(config.replayEvaluatorUrl) && !/^https?:$/.test(new URL(config.replayEvaluatorUrl).protocol)) {
    reader.problem(`REPLAY_EVALUATOR_URL must be an http or https URL, got '${config.replayEvaluatorUrl}'`);
  }
  reader.done();
  return config;
}
