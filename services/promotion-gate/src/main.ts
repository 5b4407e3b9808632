/** Entry point: `node services/promotion-gate/src/main.ts` (configuration from the environment). */
import { runUntilSignalled } from '@planner/service-kit';
import { readConfig } from './config.ts';
import { SERVICE_NAME, startPromotionGate } from './service.ts';

await runUntilSignalled(SERVICE_NAME, () => startPromotionGate(readConfig()));
