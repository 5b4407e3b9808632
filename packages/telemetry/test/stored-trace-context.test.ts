import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { consumerSpan, injectTraceContext } from '../src/kafka-context.ts';
import { currentCorrelationId } from '../src/run-span.ts';
import { continueTrace, storedTraceContext } from '../src/stored-trace-context.ts';
import { startTracing } from '../src/tracing.ts';

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'stored-trace-test', exporter, env: {} });
after(() => tracing.shutdown());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** The finished spans named `name`, once `count` of them are exported (the processor exports after the span ends). */
async function finished(name: string, count = 1) {
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((s) => s.name === name);
    if (spans.length >= count) return spans;
    await new Promise(setImmediate);
  }
}

test('a context stored while handling an event is continued later, outside any span, by what the loop publishes', async () => {
  const stored = await consumerSpan('dataset.requested', { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` }, 'run-1', {}, async () =>
    storedTraceContext(),
  );
  const handlerSpan = (await finished('process dataset.requested'))[0]?.spanContext().spanId;
  assert.equal(stored.traceparent, `00-${TRACE_ID}-${handlerSpan}-01`, "the handler's span, not the sender's");
  assert.equal(trace.getSpan(context.active()), undefined, 'the loop runs outside any span');

  const inside = await continueTrace('build dataset', stored, { correlationId: 'run-1' }, async () => ({
    headers: injectTraceContext({}),
    correlationId: currentCorrelationId(),
  }));
  const [build] = await finished('build dataset');
  assert.equal(build?.spanContext().traceId, TRACE_ID);
  assert.equal(build?.parentSpanContext?.spanId, handlerSpan);
  assert.equal(build?.kind, SpanKind.INTERNAL);
  assert.equal(inside.headers.traceparent, `00-${TRACE_ID}-${build?.spanContext().spanId}-01`, 'events it publishes carry the trace');
  assert.equal(inside.correlationId, 'run-1', 'its logs carry the run');
});

test('nothing stored (a row from before, or a caller without tracing): the work starts a trace of its own', async () => {
  assert.deepEqual(storedTraceContext(), { traceparent: null, tracestate: null }, 'outside any trace nothing is stored');
  const first = await continueTrace('train', { traceparent: null, tracestate: null }, {}, async () => injectTraceContext({}).traceparent);
  const second = await continueTrace('train', { traceparent: null, tracestate: null }, {}, async () => injectTraceContext({}).traceparent);
  assert.match(String(first), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.notEqual(first?.split('-')[1], second?.split('-')[1], 'two roots, two traces');
  assert.ok((await finished('train', 2)).every((s) => s.parentSpanContext === undefined));
});

test("an HTTP request's traceparent and tracestate headers are continued by a server span", async () => {
  const headers = { traceparent: [`00-${TRACE_ID}-00f067aa0ba902b7-01`], tracestate: 'vendor=abc', 'content-type': 'application/json' };
  const carried = await continueTrace('POST /v1/datasets', headers, { kind: SpanKind.SERVER }, async () => storedTraceContext());
  const [request] = await finished('POST /v1/datasets');
  assert.equal(request?.kind, SpanKind.SERVER);
  assert.equal(request?.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(carried.traceparent?.split('-')[1], TRACE_ID);
  assert.equal(carried.tracestate, 'vendor=abc');
});

test('a failure is recorded on the span and passed on', async () => {
  await assert.rejects(
    continueTrace('record outcome', {}, {}, async () => {
      throw new Error('database gone');
    }),
    /database gone/,
  );
  const [span] = await finished('record outcome');
  assert.equal(span?.status.code, SpanStatusCode.ERROR);
  assert.equal(span?.status.message, 'database gone');
});
