/** Entry point: `node services/dataset-builder/src/main.ts` (configuration from the environment). */
import { runUntilSignalled } from '@planner/service-kit';
import { readConfig } from './config.ts';
import { SERVICE_NAME, startDatasetBuilder } from './service.ts';

await runUntilSignalled(SERVICE_NAME, () => startDatasetBuilder(readConfig()));
