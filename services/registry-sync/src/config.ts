import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';

export interface RegistrySyncConfig {
  common: CommonConfig;
  /** The registered model every planner version goes into. */
  modelName: string;
  /** How often the registry is checked for versions registered outside the pipeline; 0 turns it off. */
  pollSeconds: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): RegistrySyncConfig {
  const reader = new ConfigReader(env);
  const config = {
    common: readCommonConfig(reader, 8083),
    modelName: reader.string('REGISTERED_MODEL_NAME', 'planner_model'),
    pollSeconds: reader.int('REGISTRY_POLL_SECONDS', 15, { min: 0, max: 3600 }),
  };
  reader.done();
  return config;
}
