export { alertRuleQueries, alertRules, RULES_DIR } from './alert-rule-queries.ts';
export { DASHBOARDS_DIR, dashboardJson } from './dashboard-files.ts';
export { DASHBOARDS } from './dashboards/index.ts';
export { PROMETHEUS } from './datasource.ts';
export { dashboardQueries } from './grafana-queries.ts';
export { monitoredQueries } from './monitored-queries.ts';
export type { MonitoredQuery } from './monitored-query.ts';
export { type ParsedPromql, parsePromql } from './promql-selectors.ts';
