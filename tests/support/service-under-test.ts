import { after, before } from 'node:test';
import pg from 'pg';
import { isolatedLifecycle } from '../../scripts/local-lifecycle/isolated-lifecycle.ts';
import { type RunningService, type ServiceName, startService } from '../../scripts/local-lifecycle/lifecycle-services.ts';
import { useStack } from './stack.ts';

/** A parsed answer: an error when the service refused, anything else otherwise. */
export type ResponseBody = { error?: { code: string; message: string } } & Record<string, unknown>;

export interface CallInit {
  /** POST when there is a body, GET otherwise. */
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One service running in this process on a lifecycle environment of its own
 * (see isolatedLifecycle), for suites about its HTTP edge. Registers the
 * node:test hooks that start it before the suite and stop it, and remove the
 * environment, after; call it at the top level of a test file. `peers` are
 * services it calls, each with its own extra env, started first in the same
 * environment (a promotion-gate finds its replay-evaluator there).
 */
export function serviceUnderTest(
  name: ServiceName,
  environmentName: string,
  extraEnv: Record<string, string> = {},
  peers: Partial<Record<ServiceName, Record<string, string>>> = {},
) {
  const stack = useStack('postgres', 'kafka', 'mlflow');
  process.env.LOG_LEVEL ??= 'warn';
  let life: Awaited<ReturnType<typeof isolatedLifecycle>> | undefined;
  let service: RunningService | undefined;
  const peerServices: RunningService[] = [];
  let pool: pg.Pool | undefined;

  before(async () => {
    life = await isolatedLifecycle(stack, environmentName);
    for (const [peer, peerEnv] of Object.entries(peers) as [ServiceName, Record<string, string>][]) {
      peerServices.push(await startService(peer, { ...life.env, ...peerEnv }));
    }
    service = await startService(name, { ...life.env, ...extraEnv });
    pool = new pg.Pool({ connectionString: life.databaseUrl, max: 2 });
  });

  after(async () => {
    await service?.stop();
    for (const peer of peerServices.reverse()) await peer.stop();
    await pool?.end();
    await life?.cleanup();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${name} is not started: use it inside a test`);
    return value;
  };
  const address = () => started(service).address;
  const token = () => started(life).token;
  /** The environment the service runs in (DATABASE_URL, KAFKA_NAMESPACE, ...), for clients of its topics. */
  const env = () => started(life).env;

  /** Sends a request; the bearer token goes with every one that is not a GET. `Body` is what the answer is read as. */
  async function call<Body = ResponseBody>(path: string, init: CallInit = {}) {
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
    const response = await fetch(`${address()}${path}`, {
      method,
      headers: {
        ...(method === 'GET' ? {} : { authorization: `Bearer ${token()}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    // A 304 (or 204) has no body.
    return { status: response.status, size: text.length, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Body };
  }

  /** How many rows `table` (schema-qualified, e.g. exp.outbox) holds in the environment's database. */
  async function rows(table: string): Promise<number> {
    const result = await started(pool).query<{ n: string }>(`select count(*) as n from ${table}`);
    return Number(result.rows[0]?.n);
  }

  /** Runs SQL in the environment's database, as an operator (or a test setting up state) would. */
  async function query<Row extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<Row[]> {
    return (await started(pool).query<Row>(text, params)).rows;
  }

  return { address, token, env, call, rows, query };
}
