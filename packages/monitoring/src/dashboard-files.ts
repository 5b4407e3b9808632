import { join } from 'node:path';
import { DASHBOARDS } from './dashboards/index.ts';

/** The repository this package belongs to. */
export const REPOSITORY_ROOT = join(import.meta.dirname, '..', '..', '..');
/** Where the generated dashboards live, for Grafana's file provisioning (deploy/grafana/provisioning). */
export const DASHBOARDS_DIR = join(REPOSITORY_ROOT, 'deploy', 'grafana', 'dashboards');

/** Every dashboard as Grafana reads it from its file: plain JSON, by file name. */
export function dashboardJson(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(DASHBOARDS).map(([file, build]) => [file, JSON.parse(JSON.stringify(build()))]));
}
