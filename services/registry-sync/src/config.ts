import { type CommonConfig, ConfigReader, readCommonConfig } from '@planner/service-kit';
import { CANDIDATE_ALIAS } from './candidate-alias.ts';

export interface RegistrySyncConfig {
  common: CommonConfig;
  /** The registered model every planner version goes into. */
  modelName: string;
  /** How often the registry is checked for versions registered outside the pipeline; 0 turns it off. */
  pollSeconds: number;
  /** The registered-model alias model.promoted moves (seed §6.3); the replay-evaluator's REPLAY_BASELINE_ALIAS reads it. */
  productionAlias: string;
}

/** MLflow's rule for alias names: word characters and '-', at most 255; 'latest' and 'v<N>' are its own. */
const ALIAS = /^[A-Za-z0-9_-]{1,255}$/;

export function readConfig(env: NodeJS.ProcessEnv = process.env): RegistrySyncConfig {
  const reader = new ConfigReader(env);
  const config = {
    common: readCommonConfig(reader, 8083),
    modelName: reader.string('REGISTERED_MODEL_NAME', 'planner_model'),
    pollSeconds: reader.int('REGISTRY_POLL_SECONDS', 15, { min: 0, max: 3600 }),
    productionAlias: reader.string('REGISTRY_PRODUCTION_ALIAS', 'production'),
  };
  const alias = config.productionAlias;
  if (!ALIAS.test(alias) || alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    reader.problem(
      `REGISTRY_PRODUCTION_ALIAS must be 1 to 255 letters, digits, '_' or '-', and not 'latest' or 'v<number>' (MLflow reserves them), got '${alias}'`,
    );
  } else if (alias === CANDIDATE_ALIAS) {
    reader.problem(`REGISTRY_PRODUCTION_ALIAS must not be '${CANDIDATE_ALIAS}': registry-sync moves that alias to each new candidate`);
  }
  reader.done();
  return config;
}
