/**
 * `./lifecycle traffic`: the product's planner API, played locally as a
 * long-running upstream process. See USAGE in traffic-options.ts.
 */
import { EventBus, KafkajsTransport } from '@planner/bus';
import { loadStackConfig } from '@planner/local-stack';
import { MlflowClient } from '@planner/mlflow-client';
import { SchemaRegistry } from '@planner/schemas';
import { createLogger } from '@planner/telemetry';
import { ActivePolicyClient } from './active-policy-client.ts';
import { FileActivePolicy } from './file-active-policy.ts';
import { PlanServer } from './plan-server.ts';
import { PolicyRuntimes } from './policy-runtimes.ts';
import { ProductWorld } from './product-world.ts';
import { parseTrafficOptions, USAGE } from './traffic-options.ts';
import { runTraffic } from './traffic-run.ts';

const PRODUCER = 'planner-traffic';
/** How long start-up waits for the gate to answer before giving up. */
const GATE_WAIT_MS = 30_000;
/** A failure reason is logged once, then at most every 10 s with how often it happened meanwhile. */
const REPEAT_LOG_MS = 10_000;

async function main(): Promise<number> {
  const options = parseTrafficOptions(process.argv.slice(2), process.env);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const log = createLogger(PRODUCER, { destination: process.stderr });
  // Servers not named in the environment are the local stack's.
  const stack = loadStackConfig();
  const databaseUrl = process.env.DATABASE_URL || stack.postgres.url;
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : stack.kafka.brokers;
  const mlflow = new MlflowClient({ trackingUri: process.env.MLFLOW_TRACKING_URI || stack.mlflow.trackingUri });

  const world = new ProductWorld(databaseUrl);
  const transport = new KafkajsTransport({
    brokers,
    clientId: PRODUCER,
    namespace: process.env.KAFKA_NAMESPACE ?? '',
    log: (level, message, fields) => log[level]({ ...fields, component: 'kafkajs' }, message),
  });
  const bus = new EventBus({ transport, registry: SchemaRegistry.load(), producer: PRODUCER });
  const policy =
    options.gateUrl === null
      ? new FileActivePolicy(options.activePolicyFile as string)
      : new ActivePolicyClient({
          gateUrl: options.gateUrl,
          policyId: options.policyId,
          refreshMs: options.refreshMs,
          onRefreshError: (error) => log.warn({ err: error }, 'could not refresh the active policy; the last one keeps serving'),
          onChange: (p) =>
            log.info(
              { experiment_id: p.experiment?.experiment_id ?? null, production: p.production.policy_version_id },
              'the active policy changed',
            ),
        });
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  try {
    const active = await policy.start(GATE_WAIT_MS);
    const catalogue = await world.catalogue(options.seed);
    const households = await world.households(options.seed, options.households);
    const server = new PlanServer({
      catalogue,
      runtimes: new PolicyRuntimes(catalogue, mlflow),
      policyTimeoutMs: options.policyTimeoutMs,
      usdPerComputeHour: options.usdPerComputeHour,
      producer: PRODUCER,
      degradeTreatment: options.degradeTreatment,
    });
    const experiment = active.experiment;
    console.log(
      `serving ${options.households.toLocaleString('en-US')} households × ${options.weeks} week(s) of policy '${options.policyId}'` +
        ` at ${options.rps === 0 ? 'full speed' : `${options.rps} requests/s`}: production ${active.production.policy_version_id}` +
        (experiment
          ? `, experiment ${experiment.experiment_id} (${experiment.variants.map((v) => `${v.variant_id} ${((v.buckets.to - v.buckets.from) / 100).toFixed(2)}%`).join(', ')})`
          : ', no experiment running'),
    );
    const lastLogged = new Map<string, { at: number; since: number }>();
    const stats = await runTraffic({
      ...options,
      households,
      world,
      server,
      policy,
      publish: (events) => bus.publishMany('exp.events', events, (e) => e.household_id),
      signal: stop.signal,
      onFailure: (householdId, reason) => {
        const seen = lastLogged.get(reason);
        if (seen && Date.now() - seen.at < REPEAT_LOG_MS) {
          seen.since++;
          return;
        }
        log.warn({ household_id: householdId, reason, repeated: seen?.since ?? 0 }, 'plan request failed: no policy gave a plan');
        lastLogged.set(reason, { at: Date.now(), since: 0 });
      },
      onProgress: (s, elapsed) => {
        if (process.stdout.isTTY) process.stdout.write(`\r${s.line(elapsed).padEnd(110)}`);
        else if (Math.floor(elapsed) % 10 === 0) console.log(s.line(elapsed));
      },
    });
    if (process.stdout.isTTY) process.stdout.write('\n');
    console.log(`\n${stats.table()}`);
    console.log(
      `\n${stats.requests.toLocaleString('en-US')} requests, ${(stats.events - stats.dropped).toLocaleString('en-US')} events published to exp.events, ${stats.exposures} exposures logged` +
        (stats.dropped > 0 ? `, ${stats.dropped.toLocaleString('en-US')} treatment events dropped (--drop-treatment-events)` : ''),
    );
    return 0;
  } finally {
    policy.stop();
    await transport.close();
    await world.close();
  }
}

try {
  process.exit(await main());
} catch (error) {
  const code = (error as { code?: unknown }).code;
  console.error(`traffic: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`);
  process.exit(1);
}
