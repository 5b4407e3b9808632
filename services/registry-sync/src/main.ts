/** Entry point: `node services/registry-sync/src/main.ts` (configuration from the environment). */
import { runUntilSignalled } from '@planner/service-kit';
import { readConfig } from './config.ts';
import { SERVICE_NAME, startRegistrySync } from './service.ts';

await runUntilSignalled(SERVICE_NAME, () => startRegistrySync(readConfig()));
