import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { latest, timeSeries } from '../panels.ts';
import { labelVariable } from '../variables.ts';

/**
 * The offline replays: how many workers share replay.shards, how fast each
 * evaluates rows, how far each replay is, and the policy's own latency (the
 * simulated GPU call) that bounds it all.
 */
export function replayWorkersDashboard(): Dashboard {
  return new DashboardBuilder('Planner replay workers')
    .uid('planner-replay-workers')
    .description('Replay workers: rows/s per worker, shard progress per replay, policy call latency, worker count.')
    .tags(['planner', 'replay'])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .withVariable(labelVariable('replay', 'replay_id', 'planner_replay_shards', 'Replay'))
    .withRow(new RowBuilder('Workers'))
    .withPanel(
      latest({
        title: 'Workers',
        description: 'Processes consuming replay.shards. Kafka spreads the 32 partitions over them; more than 32 workers idle.',
        unit: 'short',
        queries: [{ expr: 'sum(planner_replay_worker)', legend: 'workers' }],
        width: 6,
      }),
    )
    .withPanel(
      latest({
        title: 'Shards waiting',
        description: "Shards on replay.shards no worker has taken yet (the shards group's lag).",
        unit: 'short',
        queries: [{ expr: 'sum(max without (instance) (planner_bus_consumer_lag{topic="replay.shards"}))', legend: 'waiting' }],
        width: 6,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Rows per second per worker',
        description: 'Evaluation rows each worker replayed per second, candidate and baseline together.',
        unit: 'ops',
        queries: [{ expr: 'sum by (instance) (rate(planner_replay_rows_evaluated_total[$__rate_interval]))', legend: '{{instance}}' }],
      }),
    )
    .withRow(new RowBuilder('Replays'))
    .withPanel(
      timeSeries({
        title: 'Shard progress per replay',
        description:
          "Share of each recent replay's shards marked done. A replay stuck below 100% with no shards waiting lost a worker mid-shard: the shard is redelivered after the session timeout.",
        unit: 'percentunit',
        queries: [
          {
            expr: 'max by (replay_id) (planner_replay_shards{state="done", replay_id=~"$replay"}) / max by (replay_id) (planner_replay_shards{state="planned", replay_id=~"$replay"})',
            legend: '{{replay_id}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Shard handling time p95',
        description: 'One shard, from its first row to its commit.',
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.95, sum by (le) (rate(planner_bus_handler_duration_seconds_bucket{topic="replay.shards"}[$__rate_interval])))',
            legend: 'p95',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Policy call latency',
        description: 'The latency each policy reports for one plan during a replay, by role: the cost of a row.',
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.5, sum by (role, le) (rate(planner_replay_policy_call_duration_seconds_bucket[$__rate_interval])))',
            legend: '{{role}} p50',
          },
          {
            expr: 'histogram_quantile(0.95, sum by (role, le) (rate(planner_replay_policy_call_duration_seconds_bucket[$__rate_interval])))',
            legend: '{{role}} p95',
          },
        ],
        width: 24,
      }),
    )
    .build();
}
