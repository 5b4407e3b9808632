import { parseArgs } from 'node:util';
import { policyVersionIdOf } from '@planner/domain';
import { FIELD_LIMITS } from '@planner/schemas';

export const LINEAGE_USAGE = `usage: lifecycle lineage <model name> <version> [--gate <url>] [--policy-id <id>] [--json]
  Everything known of a model version, in order: the event window, the dataset version and its digest, the training
  job and its MLflow run, the model version, its replays and their digests, the gate's decisions, the experiments
  that treated it with every allocation change and check, and its promotion or rollback.
  <model name> <version>   the MLflow registered model and its version number, e.g. planner_model 3
  --gate <url>             the promotion-gate's HTTP address (default: $PROMOTION_GATE_URL)
  --policy-id <id>         the policy the version belongs to (default planner)
  --json                   the gate's JSON answer instead of the table`;

export interface LineageArgs {
  gateUrl: string;
  policyVersionId: string;
  json: boolean;
}

/** A refusal of the command line: the message names the argument. */
export class LineageArgsError extends Error {}

/** Names allowed in a policy version id: no ':' (its separator), no spaces or control characters. */
const NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const VERSION = /^v?(\d{1,18})$/;

const OPTIONS = {
  gate: { type: 'string' },
  'policy-id': { type: 'string', default: 'planner' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The command line, checked; undefined when --help was asked. */
export function parseLineageArgs(argv: string[], env: Readonly<Record<string, string | undefined>>): LineageArgs | undefined {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, strict: true, allowPositionals: true, options: OPTIONS });
    } catch (error) {
      // parseArgs names the flag itself ("Unknown option '--jsn'", "Option '--gate <value>' argument missing").
      throw new LineageArgsError((error as Error).message);
    }
  })();
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length !== 2)
    throw new LineageArgsError(
      `expected <model name> <version>, got ${positionals.length} argument(s)${positionals.length ? `: ${positionals.join(' ')}` : ''}`,
    );
  const [modelName, rawVersion] = positionals as [string, string];
  const name = (what: string, value: string) => {
    if (value.length === 0 || value.length > FIELD_LIMITS.name || !NAME.test(value))
      throw new LineageArgsError(`${what} must be 1 to ${FIELD_LIMITS.name} visible characters without ':', got '${value}'`);
  };
  name('<model name>', modelName);
  const version = VERSION.exec(rawVersion)?.[1];
  if (version === undefined) throw new LineageArgsError(`<version> must be a model version number (e.g. 3), got '${rawVersion}'`);
  const policyId = values['policy-id'];
  name('--policy-id', policyId);

  const gate = values.gate ?? env.PROMOTION_GATE_URL;
  if (gate === undefined || gate === '')
    throw new LineageArgsError("--gate is required (or set PROMOTION_GATE_URL): the promotion-gate's address");
  let url: URL;
  try {
    url = new URL(gate);
  } catch {
    throw new LineageArgsError(`--gate must be an http(s) URL, got '${gate}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LineageArgsError(`--gate must be an http(s) URL, got '${gate}'`);
  return {
    gateUrl: url.href.replace(/\/$/, ''),
    policyVersionId: policyVersionIdOf(policyId, modelName, String(Number(version))),
    json: values.json,
  };
}

export interface LineageCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  fetch?: typeof fetch;
}

/** `./lifecycle lineage`: asks the gate, prints its table (or JSON); the exit status (0, or 1 naming the problem). */
export async function runLineageCli(argv: string[], env: Readonly<Record<string, string | undefined>>, io: LineageCliIo): Promise<number> {
  let args: LineageArgs | undefined;
  try {
    args = parseLineageArgs(argv, env);
  } catch (error) {
    if (!(error instanceof LineageArgsError)) throw error;
    io.err(`lineage: ${error.message}\n${LINEAGE_USAGE.split('\n')[0]}\n`);
    return 1;
  }
  if (args === undefined) {
    io.out(`${LINEAGE_USAGE}\n`);
    return 0;
  }
  const url = `${args.gateUrl}/v1/lineage/${encodeURIComponent(args.policyVersionId)}?format=${args.json ? 'json' : 'text'}`;
  let response: Response;
  try {
    response = await (io.fetch ?? fetch)(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    io.err(`lineage: could not reach the gate at ${args.gateUrl}: ${cause ?? (error as Error).message}\n`);
    return 1;
  }
  const body = await response.text();
  if (!response.ok) {
    let message = body;
    try {
      message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body;
    } catch {}
    io.err(`lineage: the gate answered ${response.status}: ${message}\n`);
    return 1;
  }
  io.out(args.json ? `${JSON.stringify(JSON.parse(body), null, 2)}\n` : body);
  return 0;
}
