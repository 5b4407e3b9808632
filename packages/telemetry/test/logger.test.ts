import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { consumerSpan } from '../src/kafka-context.ts';
import { createLogger } from '../src/logger.ts';
import { startTracing } from '../src/tracing.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

test('a log line written while handling an event carries the trace, span and correlation ids', async () => {
  const tracing = startTracing({ serviceName: 'logger-test', env: {} });
  try {
    const { lines, destination } = capture();
    const logger = createLogger('logger-test', { destination, level: 'info' });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await consumerSpan('dataset.ready', { traceparent }, 'run-42', {}, async () => {
      logger.info({ rows: 3 }, 'dataset registered');
    });
    logger.info('outside any run');

    const [inside, outside] = lines;
    assert.equal(inside?.service, 'logger-test');
    assert.equal(inside?.msg, 'dataset registered');
    assert.equal(inside?.rows, 3);
    assert.equal(inside?.trace_id, '0af7651916cd43dd8448eb211c80319c', 'the trace the message came with');
    assert.match(String(inside?.span_id), /^[0-9a-f]{16}$/);
    assert.notEqual(inside?.span_id, 'b7ad6b7169203331', 'a new span, child of the sender');
    assert.equal(inside?.correlation_id, 'run-42');
    assert.equal(outside?.trace_id, undefined);
    assert.equal(outside?.correlation_id, undefined);
    assert.equal(trace.getSpan(context.active()), undefined);
  } finally {
    await tracing.shutdown();
  }
});
