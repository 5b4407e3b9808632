/** Entry point: `node services/trainer-dispatcher/src/main.ts` (configuration from the environment). */
import { runUntilSignalled } from '@planner/service-kit';
import { readConfig } from './config.ts';
import { SERVICE_NAME, startTrainerDispatcher } from './service.ts';

await runUntilSignalled(SERVICE_NAME, () => startTrainerDispatcher(readConfig()));
