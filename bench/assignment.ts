/**
 * Assignment throughput and latency (issue 10), against a named peer.
 *
 *   ./lifecycle bench assignment [--units 1000000] [--requests 20000] [--concurrency 16]
 *
 * - in-process: `assign()` from @planner/assignment on the active document, as
 *   an upstream service runs it, over --units distinct households;
 * - HTTP: the promotion-gate's GET /v1/assignments/{unit} on its own
 *   environment (a running 5% experiment), --requests requests from
 *   --concurrency clients on loopback, p50/p99 latency and requests/s;
 * - peer: a plain fastify route answering a constant object, same machine,
 *   same load generator, so the ratio is what assignment costs on top of HTTP.
 */
import { parseArgs } from 'node:util';
import { type ActivePolicy, assign } from '@planner/assignment';
import { assertStackReachable, loadStackConfig } from '@planner/local-stack';
import Fastify from 'fastify';
import pg from 'pg';
import { isolatedLifecycle } from '../scripts/local-lifecycle/isolated-lifecycle.ts';
import { startService } from '../scripts/local-lifecycle/lifecycle-services.ts';

const { values } = parseArgs({
  options: {
    units: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const UNITS = Number(values.units);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
for (const [flag, value] of Object.entries({ units: UNITS, requests: REQUESTS, concurrency: CONCURRENCY })) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench assignment: --${flag} must be a positive integer`);
    process.exit(2);
  }
}
const household = (i: number) => `hh-${String(i).padStart(7, '0')}`;

/** Sends `REQUESTS` GETs from `CONCURRENCY` loops; latency percentiles in ms and requests per second. */
async function load(url: (i: number) => string): Promise<{ p50: number; p99: number; perSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const t = performance.now();
        const response = await fetch(url(i));
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${url(i)} answered ${response.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), perSecond: REQUESTS / seconds };
}

const config = loadStackConfig();
await assertStackReachable(config, ['postgres', 'kafka']);
const life = await isolatedLifecycle(config, 'bench_assignment');
process.env.LOG_LEVEL ??= 'warn';
const gate = await startService('promotion-gate', life.env);
const db = new pg.Client({ connectionString: life.databaseUrl });
try {
  await db.connect();
  await db.query(`
    begin;
    insert into exp.policy_versions (policy_version_id, policy_id, version, config_defaults, model_uri, status)
      values ('planner:bench_model:v1', 'planner', 1, '{}', 'models:/bench_model/1', 'candidate');
    insert into exp.gate_decisions (decision_id, replay_id, policy_version_id, outcome, rules, config, config_version)
      values ('decision-bench', 'replay-bench', 'planner:bench_model:v1', 'passed', '[]', '{}', 'bench');
    insert into exp.experiments (experiment_id, policy_id, status, decision_id) values ('experiment-bench', 'planner', 'running', 'decision-bench');
    insert into exp.variants (variant_id, experiment_id, policy_version_id, role, allocation) values
      ('experiment-bench-control', 'experiment-bench', 'heuristic-baseline-v1', 'control', 0.95),
      ('experiment-bench-treatment', 'experiment-bench', 'planner:bench_model:v1', 'treatment', 0.05);
    commit;`);
  const active = (await (await fetch(`${gate.address}/v1/experiments/active?policy_id=planner`)).json()) as ActivePolicy;

  let treated = 0;
  const inStarted = performance.now();
  for (let i = 0; i < UNITS; i++) if (assign(household(i), active).variant_id === 'experiment-bench-treatment') treated++;
  const inProcess = UNITS / ((performance.now() - inStarted) / 1000);

  const peer = Fastify();
  peer.get('/constant', async () => ({ policy_id: 'planner', variant_id: 'constant', policy_version_id: 'heuristic-baseline-v1' }));
  const peerAddress = await peer.listen({ host: '127.0.0.1', port: 0 });
  await load((i) => `${peerAddress}/constant?i=${i}`); // warm-up
  const constant = await load((i) => `${peerAddress}/constant?i=${i}`);
  await load((i) => `${gate.address}/v1/assignments/${household(i)}?policy_id=planner`); // warm-up
  const served = await load((i) => `${gate.address}/v1/assignments/${household(i)}?policy_id=planner`);
  await peer.close();

  const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(
    `in-process assign(): ${f(inProcess)} assignments/s over ${f(UNITS)} households (${f((100 * treated) / UNITS, 2)}% treated at 5%)`,
  );
  console.log(`HTTP, ${f(REQUESTS)} requests from ${CONCURRENCY} clients on loopback:`);
  console.log(`  GET /v1/assignments/{unit}   ${f(served.perSecond)} req/s   p50 ${f(served.p50, 2)} ms   p99 ${f(served.p99, 2)} ms`);
  console.log(
    `  peer: fastify constant route ${f(constant.perSecond)} req/s   p50 ${f(constant.p50, 2)} ms   p99 ${f(constant.p99, 2)} ms`,
  );
  console.log(
    `  ratio to the peer: throughput ${f(served.perSecond / constant.perSecond, 2)}×, p50 ${f(served.p50 / constant.p50, 2)}×, p99 ${f(served.p99 / constant.p99, 2)}×`,
  );
} finally {
  await db.end();
  await gate.stop();
  await life.cleanup();
}
