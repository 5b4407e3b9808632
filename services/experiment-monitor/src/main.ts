/** Entry point: `node services/experiment-monitor/src/main.ts` (configuration from the environment). */
import { runUntilSignalled } from '@planner/service-kit';
import { readConfig } from './config.ts';
import { SERVICE_NAME, startExperimentMonitor } from './service.ts';

await runUntilSignalled(SERVICE_NAME, () => startExperimentMonitor(readConfig()));
