import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';
import { type GateConfig, readGateConfig } from './gate-config.ts';

export interface PromotionGateConfig {
  common: CommonConfig;
  gate: GateConfig;
  /** The policy whose first active version is the heuristic baseline. */
  policyId: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): PromotionGateConfig {
  const reader = new ConfigReader(env);
  const config = { common: readCommonConfig(reader, 8085), gate: readGateConfig(reader), policyId: reader.string('POLICY_ID', 'planner') };
  reader.done();
  return config;
}
