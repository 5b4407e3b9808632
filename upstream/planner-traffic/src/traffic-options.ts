import { parseArgs } from 'node:util';
import { DEFAULT_USD_PER_COMPUTE_HOUR } from '@planner/policy-runtime';
import { FIELD_LIMITS } from '@planner/schemas';
import { TrafficError } from './traffic-error.ts';

export interface TrafficOptions {
  /** Where the active policy comes from: the gate's URL, or a file holding the document (a rehearsal without a gate). */
  gateUrl: string | null;
  activePolicyFile: string | null;
  policyId: string;
  households: number;
  weeks: number;
  /** Plan requests per second; 0 serves them as fast as the runtimes allow. */
  rps: number;
  /** Stop after this many seconds; 0 runs until every household has planned every week. */
  durationSeconds: number;
  seed: number;
  policyTimeoutMs: number;
  usdPerComputeHour: number;
  /** How often the active policy document is checked for changes (one conditional GET). */
  refreshMs: number;
  /** Fault injection: this share of the treatment's households lose every event (a broken logger on one arm). */
  dropTreatmentEvents: number;
  /** Fault injection: each meal of the treatment's plans is swapped, with this probability, for a recipe the household dislikes (a worse model). */
  degradeTreatment: number;
}

export const USAGE = `usage: lifecycle traffic --gate <url> [options]
  Plays the product's planner API: each household asks for a weekly plan once a week; the plan comes
  from the policy version the household is assigned (production, or an experiment's variant), the
  validator fixes what breaks the household's constraints, a synthetic user edits and accepts or
  rejects it, and every event goes to exp.events. Ctrl-C stops after the requests in flight.
  --gate <url>                the promotion-gate's HTTP address (default: $PROMOTION_GATE_URL)
  --policy-id <id>            the policy whose traffic this is (default planner)
  --households <n>            households 0..n-1 of the synthetic world (default 1000)
  --weeks <n>                 weekly plans per household (default 1)
  --rps <n>                   plan requests per second, 0 = as fast as possible (default 50)
  --duration <seconds>        stop after this long, 0 = when every household has planned every week (default 0)
  --seed <n>                  the synthetic world and its users' reactions (default 7)
  --policy-timeout-ms <n>     a policy slower than this is a failed request, served by production (default 2000)
  --usd-per-compute-hour <x>  cost of local runtimes (heuristic, learned): wall time × this (default ${DEFAULT_USD_PER_COMPUTE_HOUR})
  --refresh-ms <n>            how often the active experiment is re-read from the gate (default 1000)
  --active-policy <file>      assign from this active policy document (the gate's JSON) instead of asking a gate
  Fault injection, to prove the monitoring sees it:
  --drop-treatment-events <x> this share of the treatment's households lose all their events (default 0)
  --degrade-treatment <x>     each meal of the treatment's plans becomes one the household dislikes, with this probability (default 0)
  Servers: DATABASE_URL (the product tables), KAFKA_BROKERS, KAFKA_NAMESPACE, MLFLOW_TRACKING_URI;
  unset ones default to the local stack.`;

function bad(flag: string, message: string): never {
  throw new TrafficError('TRAFFIC_FLAG_INVALID', `--${flag} ${message}`);
}

function whole(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    bad(flag, `must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

function amount(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) bad(flag, `must be a number ≥ 0, got '${raw}'`);
  return n;
}

function share(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !(n >= 0 && n <= 1)) bad(flag, `must be a share from 0 to 1, got '${raw}'`);
  return n;
}

/** The flags, checked; `undefined` when --help was asked. Every problem names its flag. */
export function parseTrafficOptions(argv: string[], env: Readonly<Record<string, string | undefined>>): TrafficOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        gate: { type: 'string' },
        'policy-id': { type: 'string', default: 'planner' },
        households: { type: 'string', default: '1000' },
        weeks: { type: 'string', default: '1' },
        rps: { type: 'string', default: '50' },
        duration: { type: 'string', default: '0' },
        seed: { type: 'string', default: '7' },
        'policy-timeout-ms': { type: 'string', default: '2000' },
        'usd-per-compute-hour': { type: 'string', default: String(DEFAULT_USD_PER_COMPUTE_HOUR) },
        'refresh-ms': { type: 'string', default: '1000' },
        'active-policy': { type: 'string' },
        'drop-treatment-events': { type: 'string', default: '0' },
        'degrade-treatment': { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    // parseArgs names the flag itself ("Unknown option '--rsp'", "Option '--rps <value>' argument missing").
    throw new TrafficError('TRAFFIC_FLAG_INVALID', (error as Error).message);
  }
  if (values.help) return undefined;
  const text = (flag: string) => values[flag] as string;
  const file = values['active-policy'] as string | undefined;
  const gate = (values.gate as string | undefined) ?? (file === undefined ? env.PROMOTION_GATE_URL : undefined);
  if (file !== undefined && values.gate !== undefined)
    bad('active-policy', 'and --gate exclude each other: the document comes from one of them');
  let gateUrl: string | null = null;
  if (file === undefined) {
    if (gate === undefined || gate === '')
      bad('gate', "is required (or set PROMOTION_GATE_URL, or give --active-policy): the promotion-gate's address");
    let url: URL;
    try {
      url = new URL(gate);
    } catch {
      bad('gate', `must be an http(s) URL, got '${gate}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') bad('gate', `must be an http(s) URL, got '${gate}'`);
    gateUrl = url.href.replace(/\/$/, '');
  } else if (file === '') bad('active-policy', 'must name a file');
  const policyId = text('policy-id');
  if (policyId === '' || policyId.length > FIELD_LIMITS.name)
    bad('policy-id', `must be 1 to ${FIELD_LIMITS.name} characters, got '${policyId}'`);
  return {
    gateUrl,
    activePolicyFile: file ?? null,
    policyId,
    households: whole('households', text('households'), 1, 1_000_000),
    weeks: whole('weeks', text('weeks'), 1, 520),
    rps: whole('rps', text('rps'), 0, 100_000),
    durationSeconds: whole('duration', text('duration'), 0, 30 * 86_400),
    seed: whole('seed', text('seed'), 0, Number.MAX_SAFE_INTEGER),
    policyTimeoutMs: whole('policy-timeout-ms', text('policy-timeout-ms'), 1, 600_000),
    usdPerComputeHour: amount('usd-per-compute-hour', text('usd-per-compute-hour')),
    refreshMs: whole('refresh-ms', text('refresh-ms'), 100, 3_600_000),
    dropTreatmentEvents: share('drop-treatment-events', text('drop-treatment-events')),
    degradeTreatment: share('degrade-treatment', text('degrade-treatment')),
  };
}
