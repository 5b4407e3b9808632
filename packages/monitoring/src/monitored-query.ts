/**
 * A PromQL expression something operators rely on runs: a dashboard's panel,
 * annotation or variable, or an alerting or recording rule.
 */
export interface MonitoredQuery {
  kind: 'panel' | 'annotation' | 'variable' | 'alert' | 'record';
  /** Where it comes from, for a failure message: the dashboard and panel, or the rule. */
  source: string;
  /** As Prometheus evaluates it (Grafana's variables filled in). */
  expr: string;
  /** For a variable: the label whose values it lists, which its series must carry. */
  label?: string;
}
