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
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): PromotionGateConfig {
  const reader = new ConfigReader(env);
  const config = {
    common: readCommonConfig(reader, 8085),
    gate: readGateConfig(reader),
    ramp: readRampConfig(reader),
    policyId: reader.string('POLICY_ID', 'planner'),
    assignmentCacheMs: reader.int('ASSIGNMENT_CACHE_MS', 1000, { min: 0, max: 60_000 }),
  };
  reader.done();
  return config;
}
