import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodedError } from '../src/coded-error.ts';
import { isTransient } from '../src/transient.ts';

class DependencyError extends CodedError<'DEPENDENCY_DOWN' | 'INPUT_BAD'> {}

/** What node-postgres throws: an Error carrying the server's SQLSTATE in `code`. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

/** What the AWS SDK v3 throws: the HTTP status in `$metadata`, no `$retryable` unless the SDK would retry. */
function awsError(httpStatusCode: number, name: string): Error {
  return Object.assign(new Error(name), { name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

test('CodedError.retryable defaults to false and keeps what the thrower said', () => {
  assert.equal(new DependencyError('INPUT_BAD', 'bad').retryable, false);
  assert.equal(new DependencyError('INPUT_BAD', 'bad', { cause: new Error('x') }).retryable, false);
  assert.equal(new DependencyError('DEPENDENCY_DOWN', 'down', { retryable: true }).retryable, true);
  assert.equal(new DependencyError('DEPENDENCY_DOWN', 'down', { retryable: false }).retryable, false);
});

test('an error a retry can help is transient', () => {
  const cases: [string, unknown][] = [
    ['a CodedError marked retryable', new DependencyError('DEPENDENCY_DOWN', 'mlflow answered 503', { retryable: true })],
    [
      'ECONNREFUSED two causes down',
      new Error('dataset build failed', {
        cause: new Error('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
        }),
      }),
    ],
    [
      'PostgreSQL admin shutdown (57P01) as a cause',
      new Error('query failed', { cause: pgError('57P01', 'terminating connection due to administrator command') }),
    ],
    ['PostgreSQL connection failure (08006)', pgError('08006', 'connection failure')],
    [
      'a retryable CodedError under a permanent one',
      new DependencyError('INPUT_BAD', 'outer', { cause: new DependencyError('DEPENDENCY_DOWN', 'inner', { retryable: true }) }),
    ],
    ['undici: other side closed', Object.assign(new Error('other side closed'), { name: 'SocketError' })],
    [
      'kafkajs: retriable',
      Object.assign(new Error('There is no leader for this topic-partition'), { name: 'KafkaJSProtocolError', retriable: true }),
    ],
    ['AWS: 503 from the server', awsError(503, 'ServiceUnavailable')],
    ['AWS: marked retryable by the SDK', Object.assign(awsError(429, 'SlowDown'), { $retryable: { throttling: true } })],
    [
      'an AggregateError with one refused connection',
      new AggregateError([new Error('bad'), Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'all failed'),
    ],
  ];
  for (const [what, error] of cases) assert.equal(isTransient(error), true, what);
});

test('an error a retry cannot help is permanent', () => {
  const cases: [string, unknown][] = [
    ['plain Error: bad input', new Error('bad input')],
    ['a CodedError without retryable', new DependencyError('INPUT_BAD', 'experiment_id is required')],
    [
      'a CodedError marked not retryable, whatever its message',
      new DependencyError('INPUT_BAD', 'other side closed', { retryable: false }),
    ],
    ['PostgreSQL unique violation (23505)', pgError('23505', 'duplicate key value violates unique constraint "pk"')],
    ['PostgreSQL unique violation as a cause', new Error('insert failed', { cause: pgError('23505', 'duplicate key') })],
    ['AWS: 404 from the server', awsError(404, 'NoSuchKey')],
    ['AWS: 403 from the server', awsError(403, 'AccessDenied')],
    ['kafkajs: not retriable', Object.assign(new Error('Message too large'), { name: 'KafkaJSProtocolError', retriable: false })],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
    ['null', null],
  ];
  for (const [what, error] of cases) assert.equal(isTransient(error), false, what);
});

test('a cause chain that loops ends the walk instead of hanging', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(isTransient(a), false);
});
