import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertRuleQueries } from './alert-rule-queries.ts';
import { DASHBOARDS_DIR } from './dashboard-files.ts';
import { dashboardQueries } from './grafana-queries.ts';
import type { MonitoredQuery } from './monitored-query.ts';

/** Every query of the committed dashboards (what Grafana loads) and of the alert rules (what Prometheus loads). */
export function monitoredQueries(): MonitoredQuery[] {
  const dashboards = readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => dashboardQueries(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8'))));
  return [...dashboards, ...alertRuleQueries()];
}
