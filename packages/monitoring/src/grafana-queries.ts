import type { MonitoredQuery } from './monitored-query.ts';

/** Grafana's built-in variables as it fills them in for a 15 s scrape interval; wide enough for any shorter one. */
const BUILT_IN: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1h',
};

interface DashboardJson {
  title: string;
  templating?: { list?: { name: string; type: string; query?: unknown; allValue?: string }[] };
  annotations?: { list?: { name: string; expr?: string }[] };
  panels?: PanelJson[];
}
interface PanelJson {
  title?: string;
  targets?: { expr?: string }[];
  panels?: PanelJson[];
}

function panelsOf(panels: readonly PanelJson[] = []): PanelJson[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels)]);
}

/**
 * Every PromQL query of a dashboard, as Prometheus gets it from Grafana with
 * each variable at "All": panels' targets, annotations, and the selectors of
 * label_values() variables (with the label they list).
 */
export function dashboardQueries(dashboard: DashboardJson): MonitoredQuery[] {
  const variables = dashboard.templating?.list ?? [];
  const values: Record<string, string> = { ...BUILT_IN };
  for (const variable of variables) values[variable.name] = variable.allValue ?? '.+';
  const substitute = (expr: string) =>
    expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, ...names: (string | undefined)[]) => {
      const name = names.slice(0, 3).find((n) => n !== undefined) as string;
      const value = values[name];
      if (value === undefined) throw new Error(`${dashboard.title}: ${whole} in '${expr}' is no variable of the dashboard`);
      return value;
    });

  const queries: MonitoredQuery[] = [];
  for (const variable of variables) {
    if (variable.type !== 'query') continue;
    const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(String(variable.query));
    if (!labelValues) throw new Error(`${dashboard.title}: variable ${variable.name} is not label_values(selector, label)`);
    queries.push({
      kind: 'variable',
      source: `${dashboard.title}, variable ${variable.name}`,
      expr: substitute(labelValues[1] as string),
      label: labelValues[2] as string,
    });
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr)
      queries.push({
        kind: 'annotation',
        source: `${dashboard.title}, annotation "${annotation.name}"`,
        expr: substitute(annotation.expr),
      });
  }
  for (const panel of panelsOf(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (target.expr) queries.push({ kind: 'panel', source: `${dashboard.title}, panel "${panel.title}"`, expr: substitute(target.expr) });
    }
  }
  return queries;
}
