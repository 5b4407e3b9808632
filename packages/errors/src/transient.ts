import { CodedError } from './coded-error.ts';

/** Socket-level failures: the peer was not there or went away mid-request. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * PostgreSQL SQLSTATEs that mean "the server is going away or not there yet":
 * class 08 (connection exception), 57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now, 53300 too many connections, and
 * 40001/40P01 (serialization failure, deadlock: retry the transaction).
 */
function isTransientSqlState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '40001', '40P01'].includes(code);
}

/** Messages node-postgres and undici give for a connection lost mid-flight, without a code. */
const LOST_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|other side closed|socket hang up|Client has encountered a connection error/i;

/**
 * True when `error` (or any error in its cause chain) says a dependency was
 * unavailable, so the same operation may succeed later: a CodedError marked
 * retryable, a lost or refused connection, PostgreSQL shutting down or
 * starting, a KafkaJS error the client calls retriable, an AWS SDK error it
 * marks retryable or a 5xx from the server. Everything else (bad input, a bug,
 * a refusal) is permanent: retrying it only delays the dead-letter topic.
 */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Object && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof CodedError) {
      if (e.retryable) return true;
      continue;
    }
    const { code, retriable, $retryable, $metadata, message } = e as {
      code?: unknown;
      retriable?: unknown;
      $retryable?: unknown;
      $metadata?: { httpStatusCode?: number };
      message?: unknown;
    };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isTransientSqlState(code)))) return true;
    if (retriable === true || $retryable !== undefined) return true;
    if ([500, 502, 503, 504].includes($metadata?.httpStatusCode ?? 0)) return true;
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some(isTransient)) return true;
  }
  return false;
}
