import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { experimentsDashboard } from './experiments.ts';
import { lifecycleDashboard } from './lifecycle.ts';
import { replayWorkersDashboard } from './replay-workers.ts';

/** Every dashboard, by the file name it is generated to under deploy/grafana/dashboards. */
export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  'lifecycle.json': lifecycleDashboard,
  'replay-workers.json': replayWorkersDashboard,
  'experiments.json': experimentsDashboard,
};
