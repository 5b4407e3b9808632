/** Entry point: `node services/replay-evaluator/src/main.ts` (configuration from the environment). Run several for more workers. */
import { runUntilSignalled } from '@planner/service-kit';
import { readConfig } from './config.ts';
import { SERVICE_NAME, startReplayEvaluator } from './service.ts';

await runUntilSignalled(SERVICE_NAME, () => startReplayEvaluator(readConfig()));
