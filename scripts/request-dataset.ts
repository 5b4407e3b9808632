/**
 * `./lifecycle dataset request`: publishes dataset.requested, as a scheduler
 * or an engineer would; the dataset-builder builds the version and answers on
 * dataset.ready with the same correlation id. The request starts the
 * lifecycle's trace, whose id it prints.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EventBus, KafkajsTransport } from '@planner/bus';
import { datasetVersionOf } from '@planner/domain';
import { loadStackConfig } from '@planner/local-stack';
import { SchemaRegistry } from '@planner/schemas';
import { continueTrace, startTracing, storedTraceContext } from '@planner/telemetry';
import { requestProblems } from '../services/dataset-builder/src/handlers/dataset-requested.ts';

const USAGE = `usage: lifecycle dataset request --model <name> --from <ISO time> --to <ISO time> [--date YYYY-MM-DD] [--split-seed <n>]
  Builds dataset version <name>/<date> (default: the date of --to) from accepted plans in [--from, --to).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'planner' },
      from: { type: 'string' },
      to: { type: 'string' },
      date: { type: 'string' },
      'split-seed': { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const windowStart = Date.parse(values.from ?? '');
  const windowEnd = Date.parse(values.to ?? '');
  if (Number.isNaN(windowStart) || Number.isNaN(windowEnd)) throw new Error(`--from and --to need ISO 8601 times\n${USAGE}`);
  const splitSeed = Number(values['split-seed']);
  if (!Number.isInteger(splitSeed) || splitSeed < 0) throw new Error(`--split-seed must be a whole number, got '${values['split-seed']}'`);
  const request = {
    model_name: values.model,
    window_start: windowStart,
    window_end: windowEnd,
    dataset_date: values.date ?? new Date(windowEnd - 1).toISOString().slice(0, 10),
    split_seed: splitSeed,
    requested_by: 'cli',
  };
  const problems = requestProblems(request);
  if (problems.length > 0) throw new Error(problems.join('; '));

  // The local stack's servers unless DATABASE_URL / KAFKA_BROKERS name others.
  const stack = loadStackConfig();
  const namespace = process.env.KAFKA_NAMESPACE ?? '';
  const transport = new KafkajsTransport({
    brokers: stack.kafka.brokers,
    clientId: 'lifecycle-cli',
    namespace,
  });
  const bus = new EventBus({ transport, registry: SchemaRegistry.load(), producer: 'lifecycle-cli' });
  // Without a tracer provider the propagator writes nothing: the event would start no trace.
  const tracing = startTracing({ serviceName: 'lifecycle-cli' });
  try {
    const correlationId = randomUUID();
    const traceId = await continueTrace('lifecycle dataset request', {}, { correlationId }, async () => {
      await bus.publish(
        'dataset.requested',
        bus.event('dataset.requested', request, correlationId),
        datasetVersionOf(request.model_name, request.dataset_date),
      );
      return storedTraceContext().traceparent?.split('-')[1];
    });
    console.log(
      `requested dataset ${datasetVersionOf(request.model_name, request.dataset_date)} (correlation id ${correlationId}, trace id ${traceId})`,
    );
  } finally {
    await transport.close();
    await tracing.shutdown();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(`dataset request: ${(error as Error).message}`);
  process.exit(1);
}
