import { AnnotationQueryBuilder, type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS } from '../datasource.ts';
import { latest, timeSeries } from '../panels.ts';
import { labelVariable } from '../variables.ts';

const EXPERIMENT = 'experiment_id=~"$experiment"';

/** One of the monitor's per-variant metrics at its latest check, a series per variant. */
function perVariant(metric: string): string {
  return `max by (experiment_id, variant_id, role) (planner_experiment_variant_metric{${EXPERIMENT}, metric="${metric}"})`;
}

/**
 * The online experiments as the experiment-monitor sees them at each check:
 * per variant the outcome and guardrail metrics, the allocation, the
 * sample-ratio check and the latest status, with the gate's ramps and
 * rollbacks drawn on every panel.
 */
export function experimentsDashboard(): Dashboard {
  return (
    new DashboardBuilder('Planner experiments')
      .uid('planner-experiments')
      .description('Per variant: acceptance, edits and interventions per plan, latency p95, cost per plan; allocation, SRM, check status.')
      .tags(['planner', 'experiments'])
      .refresh('30s')
      .time({ from: 'now-24h', to: 'now' })
      .withVariable(labelVariable('experiment', 'experiment_id', 'planner_experiment_status', 'Experiment'))
      // The gauge holds the event's time, so each distinct value is one ramp or rollback drawn at the moment it happened.
      .annotation(
        new AnnotationQueryBuilder()
          .name('Ramps and rollbacks')
          .datasource(PROMETHEUS)
          .enable(true)
          .iconColor('orange')
          .expr(`planner_experiment_last_change_timestamp_seconds{${EXPERIMENT}, change=~"ramped|rolled_back"} * 1000`)
          .useValueForTime(true)
          .step('60s')
          .titleFormat('{{change}}')
          .textFormat('{{experiment_id}}')
          .tagKeys('experiment_id,change'),
      )
      .withRow(new RowBuilder('Status'))
      .withPanel(
        latest({
          title: 'Latest check status',
          description:
            'The status of each experiment at its latest check: collecting, healthy, srm, guardrail_breached, treatment_better, treatment_worse or inconclusive.',
          unit: 'short',
          queries: [
            {
              expr: `max by (experiment_id, status) (planner_experiment_status{${EXPERIMENT}}) == 1`,
              legend: '{{experiment_id}}: {{status}}',
            },
          ],
          width: 8,
        }),
      )
      .withPanel(
        timeSeries({
          title: 'Treatment allocation',
          description: "The treatment's share of traffic: steps up at each ramp, 0 after a rollback.",
          unit: 'percentunit',
          queries: [
            { expr: `max by (experiment_id) (planner_experiment_treatment_allocation{${EXPERIMENT}})`, legend: '{{experiment_id}}' },
          ],
          width: 8,
        }),
      )
      .withPanel(
        timeSeries({
          title: 'SRM p-value',
          description:
            'Sample-ratio check: below 0.001 exposures do not follow the allocation, the check says srm and the gate rolls back.',
          unit: 'short',
          queries: [{ expr: `max by (experiment_id) (planner_experiment_srm_p_value{${EXPERIMENT}})`, legend: '{{experiment_id}}' }],
          width: 8,
        }),
      )
      .withRow(new RowBuilder('Outcome per variant'))
      .withPanel(
        timeSeries({
          title: 'Acceptance rate',
          description: 'Share of households that accepted their plan, per variant (the primary metric).',
          unit: 'percentunit',
          queries: [{ expr: perVariant('acceptance_rate'), legend: '{{experiment_id}} {{role}}' }],
        }),
      )
      .withPanel(
        timeSeries({
          title: 'Acceptance difference (treatment − control)',
          description: 'CUPED-adjusted difference with its always-valid confidence sequence: entirely below 0 is treatment_worse.',
          unit: 'percentunit',
          queries: [
            {
              expr: `max by (experiment_id, bound) (planner_experiment_acceptance_difference{${EXPERIMENT}})`,
              legend: '{{experiment_id}} {{bound}}',
            },
          ],
        }),
      )
      .withRow(new RowBuilder('Guardrails per variant'))
      .withPanel(
        timeSeries({
          title: 'Edits per plan',
          description: 'Recipe swaps a household made before accepting or rejecting, per plan.',
          unit: 'short',
          queries: [{ expr: perVariant('edits_per_plan'), legend: '{{experiment_id}} {{role}}' }],
          width: 6,
        }),
      )
      .withPanel(
        timeSeries({
          title: 'Validator interventions per plan',
          description: 'Times the constraint validator changed a plan before it was served, per plan.',
          unit: 'short',
          queries: [{ expr: perVariant('interventions_per_plan'), legend: '{{experiment_id}} {{role}}' }],
          width: 6,
        }),
      )
      .withPanel(
        timeSeries({
          title: 'Latency p95',
          description: '95th percentile of the time to plan, per variant.',
          unit: 'ms',
          queries: [{ expr: perVariant('latency_p95_ms'), legend: '{{experiment_id}} {{role}}' }],
          width: 6,
        }),
      )
      .withPanel(
        timeSeries({
          title: 'Cost per plan',
          description: 'Compute cost of one plan, per variant.',
          unit: 'currencyUSD',
          queries: [{ expr: perVariant('cost_per_plan_usd'), legend: '{{experiment_id}} {{role}}' }],
          width: 6,
        }),
      )
      .build()
  );
}
