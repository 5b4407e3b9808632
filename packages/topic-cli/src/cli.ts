import { parseArgs } from 'node:util';
import { DLT_HEADER, HEADER, type IncomingMessage, KafkajsTransport, type ReadStart } from '@planner/bus';
import { loadStackConfig } from '@planner/local-stack';
import { SchemaRegistry } from '@planner/schemas';
import { listDeadLetters, redrive } from './dead-letters.ts';
import { messageToJson } from './message-json.ts';
import { replayGroup } from './replay-group.ts';
import { TopicCliError } from './topic-cli-error.ts';

const USAGE = `usage: lifecycle topics <command>
  tail <topic> [--from-beginning | --from-time <ISO time> | --from-offset <n> --partition <p>] [--follow] [--limit <n>]
      print messages as JSON lines, decoded with the topic's schemas
  replay <topic> --group <group> --from-time <ISO time> [--fresh <name>] [--dry-run]
      move a stopped service's consumer group to a point in time (or prepare <group>.<name>)
  dlt list <topic>                        dead letters of <topic>, one summary line each
  dlt show <topic> --offset <n>           one dead letter in full, decoded
  dlt redrive <topic> (--offset <n>... | --all) [--dry-run]
      send dead letters back to <topic>
Brokers come from KAFKA_BROKERS (default: the local stack); KAFKA_NAMESPACE selects a namespace.`;

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function time(value: string | undefined, flag: string): number {
  const ms = Date.parse(value ?? '');
  if (Number.isNaN(ms)) throw new TopicCliError('USAGE', `${flag} needs an ISO 8601 time, e.g. 2026-11-26T10:00:00Z; got '${value ?? ''}'`);
  return ms;
}

function integer(value: string | undefined, flag: string): string {
  if (!value || !/^\d+$/.test(value)) throw new TopicCliError('USAGE', `${flag} needs a whole number, got '${value ?? ''}'`);
  return value;
}

function summary(letter: IncomingMessage) {
  return {
    offset: letter.offset,
    failed_at: letter.headers[DLT_HEADER.failedAt],
    original: `${letter.headers[DLT_HEADER.originalTopic]}/${letter.headers[DLT_HEADER.originalPartition]}@${letter.headers[DLT_HEADER.originalOffset]}`,
    group: letter.headers[DLT_HEADER.consumerGroup],
    error_code: letter.headers[DLT_HEADER.errorCode],
    error: letter.headers[DLT_HEADER.errorMessage],
    attempts: Number(letter.headers[DLT_HEADER.attempts]),
    event_id: letter.headers[HEADER.eventId] ?? null,
  };
}

export async function runTopicCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'from-beginning': { type: 'boolean' },
      'from-time': { type: 'string' },
      'from-offset': { type: 'string' },
      partition: { type: 'string' },
      follow: { type: 'boolean' },
      limit: { type: 'string' },
      group: { type: 'string' },
      fresh: { type: 'string' },
      'dry-run': { type: 'boolean' },
      offset: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadStackConfig();
  const kafka = new KafkajsTransport({
    brokers: config.kafka.brokers,
    clientId: 'planner-topics',
    namespace: process.env.KAFKA_NAMESPACE ?? '',
  });
  const registry = SchemaRegistry.load();
  const topic = command === 'dlt' ? rest[1] : rest[0];
  if (topic !== undefined && !registry.topics().includes(topic.replace(/\.dlt$/, ''))) {
    throw new TopicCliError('NOT_FOUND', `unknown topic '${topic}' (known: ${registry.topics().join(', ')})`);
  }
  try {
    switch (command) {
      case 'tail': {
        const topic = rest[0] ?? '';
        if (!topic) throw new TopicCliError('USAGE', 'tail needs a topic');
        const start: ReadStart = values['from-time']
          ? { from: 'timestamp', timestamp: time(values['from-time'], '--from-time') }
          : values['from-offset']
            ? {
                from: 'offset',
                offset: integer(values['from-offset'], '--from-offset'),
                partition: Number(integer(values.partition ?? '0', '--partition')),
              }
            : { from: 'beginning' };
        let left = values.limit ? Number(integer(values.limit, '--limit')) : Number.POSITIVE_INFINITY;
        await kafka.read({
          topic,
          start,
          follow: values.follow ?? false,
          onMessage: (message) => {
            print(messageToJson(message, registry));
            return --left > 0;
          },
        });
        return 0;
      }
      case 'replay': {
        const topic = rest[0] ?? '';
        if (!topic || !values.group) throw new TopicCliError('USAGE', 'replay needs a topic and --group');
        const plan = await replayGroup(kafka, {
          group: values.group,
          topic,
          timestamp: time(values['from-time'], '--from-time'),
          ...(values.fresh ? { fresh: values.fresh } : {}),
          dryRun: values['dry-run'] ?? false,
        });
        print(plan);
        return 0;
      }
      case 'dlt': {
        const [action, topic] = rest;
        if (!topic) throw new TopicCliError('USAGE', 'dlt needs an action (list, show, redrive) and a topic');
        const letters = await listDeadLetters(kafka, topic);
        if (action === 'list') {
          for (const letter of letters) print(summary(letter));
          return 0;
        }
        const wanted = values.all ? letters : letters.filter((l) => (values.offset ?? []).includes(l.offset));
        const missing = (values.offset ?? []).filter((o) => !letters.some((l) => l.offset === o));
        if (missing.length > 0) throw new TopicCliError('NOT_FOUND', `no dead letter of ${topic} at offset ${missing.join(', ')}`);
        if (action === 'show') {
          if (wanted.length === 0) throw new TopicCliError('USAGE', 'dlt show needs --offset');
          for (const letter of wanted) print({ ...summary(letter), message: messageToJson(letter, registry) });
          return 0;
        }
        if (action === 'redrive') {
          if (wanted.length === 0) throw new TopicCliError('USAGE', 'dlt redrive needs --offset <n> or --all');
          const sent = values['dry-run'] ? 0 : await redrive(kafka, wanted);
          print({ topic, redriven: sent, offsets: wanted.map((l) => l.offset), dry_run: values['dry-run'] ?? false });
          return 0;
        }
        throw new TopicCliError('USAGE', `unknown dlt action '${action}' (list, show, redrive)`);
      }
      default:
        throw new TopicCliError('USAGE', `unknown command '${command}'\n${USAGE}`);
    }
  } finally {
    await kafka.close();
  }
}

if (import.meta.main) {
  try {
    process.exit(await runTopicCli(process.argv.slice(2)));
  } catch (error) {
    if (!(error instanceof TopicCliError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')) throw error;
    console.error(`topics: ${(error as Error).message}`);
    process.exit((error as TopicCliError).code === 'USAGE' ? 2 : 1);
  }
}
