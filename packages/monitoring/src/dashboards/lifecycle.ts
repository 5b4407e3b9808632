import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { latest, timeSeries } from '../panels.ts';
import { labelVariable } from '../variables.ts';

const SERVICE = 'service=~"$service"';

/**
 * The lifecycle's stages (each target's `service` label) on one page: are they up and succeeding, what
 * flows in and out of each per topic, how long handlers take, what waits
 * (consumer lag, outbox) and what was given up (dead letters, HTTP errors).
 */
export function lifecycleDashboard(): Dashboard {
  return new DashboardBuilder('Planner lifecycle')
    .uid('planner-lifecycle')
    .description('Per stage: events in and out per topic, handler latency, consumer lag, dead letters, outbox, HTTP errors, last success.')
    .tags(['planner', 'lifecycle'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .withVariable(labelVariable('service', 'service', 'up{service!=""}', 'Stage'))
    .withRow(new RowBuilder('Health'))
    .withPanel(
      latest({
        title: 'Up',
        description: 'Whether Prometheus can scrape the stage (1) or not (0). 0 for 2 minutes fires PlannerServiceDown.',
        unit: 'short',
        queries: [{ expr: `up{${SERVICE}}`, legend: '{{service}} {{instance}}' }],
        width: 8,
      }),
    )
    .withPanel(
      latest({
        title: 'Time since last success',
        description:
          "Since each stage last committed an event (any topic). Above the stage's expected interval, PlannerStageNoRecentSuccess fires.",
        unit: 's',
        queries: [{ expr: `time() - max by (service) (planner_bus_last_processed_timestamp_seconds{${SERVICE}})`, legend: '{{service}}' }],
        width: 16,
      }),
    )
    .withRow(new RowBuilder('Events'))
    .withPanel(
      timeSeries({
        title: 'Events in (processed) per topic',
        description: 'Events each stage handled and committed, per second, by topic.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (service, topic) (rate(planner_bus_messages_consumed_total{${SERVICE}, outcome="processed"}[$__rate_interval]))`,
            legend: '{{service}} ← {{topic}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Events out per topic',
        description: 'Events each stage published that the broker acknowledged, per second, by topic.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (service, topic) (rate(planner_bus_messages_produced_total{${SERVICE}}[$__rate_interval]))`,
            legend: '{{service}} → {{topic}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Handler latency p95 per topic',
        description: '95th percentile of one handler call inside its transaction. A slow handler shows here before it shows as lag.',
        unit: 's',
        queries: [
          {
            expr: `histogram_quantile(0.95, sum by (service, topic, le) (rate(planner_bus_handler_duration_seconds_bucket{${SERVICE}}[$__rate_interval])))`,
            legend: '{{service}} {{topic}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Consumer lag',
        description:
          "Messages between each group's committed offset and the end of the topic. Growing for 15 minutes fires PlannerConsumerLagGrowing.",
        unit: 'short',
        queries: [
          {
            expr: `sum by (service, group, topic) (max without (instance) (planner_bus_consumer_lag{${SERVICE}}))`,
            legend: '{{group}} on {{topic}}',
          },
        ],
      }),
    )
    .withRow(new RowBuilder('Given up and waiting'))
    .withPanel(
      timeSeries({
        title: 'Dead letters',
        description:
          'Messages sent to <topic>.dlt, by reason code. Any fires PlannerDeadLetters; see docs/operations.md for redriving them.',
        unit: 'short',
        queries: [
          {
            expr: `sum by (service, topic, code) (increase(planner_bus_dead_lettered_total{${SERVICE}}[$__rate_interval]))`,
            legend: '{{service}} {{topic}} {{code}}',
          },
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Outbox backlog',
        description: 'Outbox rows the broker has not acknowledged yet. It drains within seconds while Kafka is up.',
        unit: 'short',
        queries: [{ expr: `max by (service) (planner_bus_outbox_backlog{${SERVICE}})`, legend: '{{service}}' }],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Outbox oldest message age',
        description: 'Age of the oldest unacknowledged outbox row. Above 5 minutes for 5 minutes fires PlannerOutboxBacklogOld.',
        unit: 's',
        queries: [{ expr: `max by (service) (planner_bus_outbox_oldest_age_seconds{${SERVICE}})`, legend: '{{service}}' }],
        redFrom: 300,
        width: 8,
      }),
    )
    .withRow(new RowBuilder('HTTP'))
    .withPanel(
      timeSeries({
        title: 'HTTP errors per route',
        description: 'Answers with a 4xx or 5xx status, per second. 401s mean a caller with a wrong token; 5xx are in the service log.',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (service, route, status) (rate(planner_http_request_duration_seconds_count{${SERVICE}, status=~"[45].."}[$__rate_interval]))`,
            legend: '{{service}} {{status}} {{route}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'HTTP latency p95',
        description: '95th percentile of request duration per stage.',
        unit: 's',
        queries: [
          {
            expr: `histogram_quantile(0.95, sum by (service, le) (rate(planner_http_request_duration_seconds_bucket{${SERVICE}}[$__rate_interval])))`,
            legend: '{{service}}',
          },
        ],
      }),
    )
    .build();
}
