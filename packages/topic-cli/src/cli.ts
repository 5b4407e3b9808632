import { parseArgs } from 'node:util';
import { DLT_HEADER, type IncomingMessage, KafkajsTransport, LEGACY_EVENT_ID_HEADER, type ReadStart } from '@planner/bus';
import { loadStackConfig } from '@planner/local-stack';
import { SchemaRegistry } from '@planner/schemas';
import { letterPosition, listDeadLetters } from './dead-letters.ts';
import { messageToJson } from './message-json.ts';
import type { SkippedLetter } from './redrive.ts';
import { type RedrivePort, type RedriveSummary, redriveDeadLetters } from './redrive-dead-letters.ts';
import { redriveGroup } from './redrive-progress.ts';
import { replayGroup } from './replay-group.ts';
import { TopicCliError } from './topic-cli-error.ts';

const USAGE = `usage: lifecycle topics <command>
  tail <topic> [--from-beginning | --from-time <ISO time> | --from-offset <n> --partition <p>] [--follow] [--limit <n>]
      print messages as JSON lines, decoded with the topic's schemas
  replay <topic> --group <group> --from-time <ISO time> [--fresh <name>] [--dry-run]
      move a stopped service's consumer group to a point in time (or prepare <group>.<name>)
  dlt list <topic>                        dead letters of <topic>, one summary line each
  dlt show <topic> --offset <n>           one dead letter in full, decoded
  dlt redrive <topic> (--offset <n>... | --all [--restart]) [--limit <n>] [--dry-run]
      send dead letters back to <topic>. --all sends every letter not yet redriven and records how far it got
      (consumer group ${redriveGroup('<topic>')}), so a rerun after a crash or Ctrl-C continues there; --restart
      starts again from the first letter. A letter that cannot be sent back is reported on stderr and skipped.
      Exit status 3 when any letter was skipped, 130 when stopped by Ctrl-C (a rerun continues).
Brokers come from KAFKA_BROKERS (default: the local stack); KAFKA_NAMESPACE selects a namespace.`;

/** Beyond 0 (done), 1 (error) and 2 (usage): scripts must notice skipped letters and an early stop. */
const EXIT_SKIPPED = 3;
const EXIT_INTERRUPTED = 130;

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

/** The failed event's id: the dead-letter header, or the event-id header letters written before decision 0005's cut carry. */
function letterEventId(letter: IncomingMessage): string | undefined {
  return letter.headers[DLT_HEADER.eventId] ?? letter.headers[LEGACY_EVENT_ID_HEADER];
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
    event_id: letterEventId(letter) ?? null,
  };
}

/**
 * The first Ctrl-C (or SIGTERM) lets the batch in hand finish and be recorded,
 * so a rerun neither resends nor loses it; a second one quits at once.
 */
function stopOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort();
    process.stderr.write('topics: stopping after the batch in hand (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function reportSkipped({ letter, reason }: SkippedLetter): void {
  const event = letterEventId(letter) ?? 'no event id';
  process.stderr.write(`topics: skipped ${letterPosition(letter)} (${event}): ${reason}\n`);
}

function exitStatus(summary: RedriveSummary): number {
  if (summary.interrupted) return EXIT_INTERRUPTED;
  return summary.skipped > 0 ? EXIT_SKIPPED : 0;
}

interface RedriveFlags {
  offsets: string[];
  all: boolean;
  restart: boolean;
  limit: string | undefined;
  dryRun: boolean;
}

/** `dlt redrive`: checks the flags, redrives `letters` (the chosen ones, or all for --all), prints the summary. */
async function redriveCommand(port: RedrivePort, topic: string, letters: IncomingMessage[], flags: RedriveFlags): Promise<number> {
  const chosen = flags.offsets.length > 0;
  if (chosen === flags.all) throw new TopicCliError('USAGE', 'dlt redrive needs either --offset <n> or --all');
  if (flags.restart && !flags.all) throw new TopicCliError('USAGE', '--restart goes with --all');
  const stop = stopOnSignals();
  try {
    const outcome = await redriveDeadLetters(port, {
      topic,
      scope: flags.all ? 'all' : 'chosen',
      letters,
      restart: flags.restart,
      limit: flags.limit === undefined ? Number.POSITIVE_INFINITY : Number(integer(flags.limit, '--limit')),
      dryRun: flags.dryRun,
      signal: stop.signal,
      onSkip: reportSkipped,
    });
    print(outcome);
    return exitStatus(outcome);
  } finally {
    stop.dispose();
  }
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
      restart: { type: 'boolean' },
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
          return await redriveCommand(kafka, topic, wanted, {
            offsets: values.offset ?? [],
            all: values.all ?? false,
            restart: values.restart ?? false,
            limit: values.limit,
            dryRun: values['dry-run'] ?? false,
          });
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
