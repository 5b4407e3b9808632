import * as common from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS } from './datasource.ts';

/** One PromQL query of a panel and how its series are named in the legend. */
export interface Query {
  expr: string;
  legend: string;
}

export interface PanelOptions {
  title: string;
  /** What the panel answers, shown as the panel's help: say what to do when it looks wrong. */
  description: string;
  /** A Grafana unit id: s, percentunit, ops, short, ms, currencyUSD. */
  unit: string;
  queries: Query[];
  /** Drawn red from this value up: the alert's threshold, when the panel has one. */
  redFrom?: number;
  /** Grid columns out of 24. */
  width?: number;
}

const REF_IDS = 'ABCDEFGHIJ';

function targets(queries: Query[]): DataqueryBuilder[] {
  return queries.map((q, i) =>
    new DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend)
      .refId(REF_IDS[i] ?? `Q${i}`)
      .datasource(PROMETHEUS),
  );
}

function thresholds(redFrom: number | undefined): ThresholdsConfigBuilder {
  const steps = [{ value: null, color: 'green' }, ...(redFrom === undefined ? [] : [{ value: redFrom, color: 'red' }])];
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** A time series panel: how a rate, a latency or a backlog moves. */
export function timeSeries(o: PanelOptions): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .unit(o.unit)
    .height(8)
    .span(o.width ?? 12)
    .thresholds(thresholds(o.redFrom))
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    );
  if (o.redFrom !== undefined)
    panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line));
  for (const target of targets(o.queries)) panel.withTarget(target);
  return panel;
}

/** A stat panel: the latest value of each series, coloured by threshold. */
export function latest(o: PanelOptions): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(PROMETHEUS)
    .unit(o.unit)
    .height(6)
    .span(o.width ?? 12)
    .thresholds(thresholds(o.redFrom))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  for (const target of targets(o.queries)) panel.withTarget(target);
  return panel;
}
