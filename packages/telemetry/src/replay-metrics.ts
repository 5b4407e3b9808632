import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** One replay's shards as the database holds them: planned, and marked done by a worker. */
export interface ReplayProgress {
  replay_id: string;
  shards: number;
  done: number;
}

export type ReplayRole = 'candidate' | 'baseline';

/**
 * The replay-evaluator's Prometheus metrics, for the replay workers dashboard.
 * Rows and policy calls are counted by the worker that evaluated them (the
 * scrape's `instance` tells workers apart); shard progress is read from the
 * database at scrape time, so it survives worker restarts and reruns.
 */
export class ReplayMetrics {
  readonly #progressSources: (() => Promise<ReplayProgress[]>)[] = [];
  readonly rowsEvaluated: Counter<'role'>;
  readonly policyCallDuration: Histogram<'role'>;
  readonly worker: Gauge;
  readonly shards: Gauge<'replay_id' | 'state'>;

  constructor(registry: Registry, options: { worker: boolean }) {
    const registers = [registry];
    this.rowsEvaluated = new Counter({
      name: 'planner_replay_rows_evaluated_total',
      help: 'Evaluation rows this worker replayed, by policy role (candidate, baseline).',
      labelNames: ['role'],
      registers,
    });
    this.policyCallDuration = new Histogram({
      name: 'planner_replay_policy_call_duration_seconds',
      help: 'Time one policy call took during a replay (the latency the policy reports), by role.',
      labelNames: ['role'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.worker = new Gauge({
      name: 'planner_replay_worker',
      help: '1 when this process consumes replay.shards (a replay worker), else 0; their sum is the worker count.',
      registers,
    });
    this.worker.set(options.worker ? 1 : 0);
    const sources = this.#progressSources;
    this.shards = new Gauge({
      name: 'planner_replay_shards',
      help: "A recent replay's shards by state (planned, done), read from the database at scrape time.",
      labelNames: ['replay_id', 'state'],
      registers,
      async collect() {
        const rows = (await Promise.allSettled(sources.map((source) => source()))).flatMap((r) =>
          r.status === 'fulfilled' ? r.value : [],
        );
        // Replays older than the source's window leave the exposition rather than stay frozen at their last value.
        this.reset();
        for (const row of rows) {
          this.set({ replay_id: row.replay_id, state: 'planned' }, row.shards);
          this.set({ replay_id: row.replay_id, state: 'done' }, row.done);
        }
      },
    });
  }

  /** One row replayed under one policy: counted, and its policy call timed. */
  rowEvaluated(role: ReplayRole, policySeconds: number): void {
    this.rowsEvaluated.inc({ role });
    this.policyCallDuration.observe({ role }, policySeconds);
  }

  /** Adds a reader of replay progress that each scrape calls. */
  trackProgress(source: () => Promise<ReplayProgress[]>): void {
    this.#progressSources.push(source);
  }
}
