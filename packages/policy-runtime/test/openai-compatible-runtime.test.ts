import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { encodeInputContext, normalizePlan, type WeeklyPlan } from '@planner/domain';
import { OpenAiCompatibleRuntime, PLANNER_SYSTEM_PROMPT } from '../src/openai-compatible-runtime.ts';
import { isPolicyError } from '../src/policy-error.ts';
import { runPolicy } from '../src/policy-runtime.ts';
import { constraints, context, recipe } from './fixtures.ts';

const catalogue = ['r-1', 'r-2', 'r-3'].map((id) => recipe({ recipe_id: id }));
const ctx = context({ constraints: constraints({ allergies: ['peanut'] }) });

/** A full week: r-1, r-2, r-3 every day, listed dinner first to check the runtime puts meals in slot order. */
const WEEK: WeeklyPlan = {
  days: Array.from({ length: 7 }, (_, day) => ({
    day,
    meals: [
      { slot: 'dinner', recipe_id: 'r-3' },
      { slot: 'breakfast', recipe_id: 'r-1' },
      { slot: 'lunch', recipe_id: 'r-2' },
    ],
  })),
};

interface Reply {
  status?: number;
  /** Raw body; default a chat completion whose message content is `content`. */
  body?: string;
  content?: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number };
  delayMs?: number;
}

/**
 * A stand-in for vLLM's `/v1/chat/completions`: records each request and
 * answers what the test queued. No LLM runs on this machine; the wire format is what is under test.
 */
const requests: { headers: IncomingMessage['headers']; url: string; body: Record<string, unknown> }[] = [];
let reply: Reply = {};
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let raw = '';
  req.on('data', (chunk) => {
    raw += chunk;
  });
  req.on('end', () => {
    requests.push({ headers: req.headers, url: req.url ?? '', body: JSON.parse(raw) });
    const r = reply;
    const body =
      r.body ??
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'planner-llm',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: r.content === undefined ? JSON.stringify(WEEK) : r.content },
            finish_reason: 'stop',
          },
        ],
        ...(r.usage === undefined ? {} : { usage: { ...r.usage, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens } }),
      });
    setTimeout(() => {
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
      res.end(body);
    }, r.delayMs ?? 0);
  });
});
let baseUrl: string;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function runtime(overrides: Partial<ConstructorParameters<typeof OpenAiCompatibleRuntime>[0]> = {}) {
  return new OpenAiCompatibleRuntime({
    baseUrl,
    model: 'planner-llm',
    catalogue,
    usdPer1kPromptTokens: 0.5,
    usdPer1kCompletionTokens: 1.5,
    ...overrides,
  });
}

function answer(next: Reply): void {
  reply = next;
  requests.length = 0;
}

test('a valid JSON answer is the plan, in day and slot order, costed from usage', async () => {
  answer({ usage: { prompt_tokens: 1200, completion_tokens: 400 } });
  const output = await runPolicy(runtime({ apiKey: 'secret-key', seed: 7 }), ctx);
  assert.deepEqual(output.plan, normalizePlan(WEEK));
  assert.equal(output.error, null);
  // 1200 × 0.5 / 1000 + 400 × 1.5 / 1000
  assert.ok(Math.abs(output.cost_usd - 1.2) < 1e-12, `cost ${output.cost_usd}`);
  assert.ok(output.latency_ms > 0);
});

test('the request carries the codec’s prompt, the instructions, temperature 0, the seed, JSON mode and the key', async () => {
  answer({ usage: { prompt_tokens: 1, completion_tokens: 1 } });
  await runtime({ apiKey: 'secret-key', seed: 7, baseUrl: `${baseUrl}/v1/` }).plan(ctx);
  const [request] = requests;
  assert.ok(request);
  assert.equal(request.url, '/v1/chat/completions', 'a base URL ending in /v1 is not doubled');
  assert.equal(request.headers.authorization, 'Bearer secret-key');
  assert.deepEqual(request.body, {
    model: 'planner-llm',
    messages: [
      { role: 'system', content: PLANNER_SYSTEM_PROMPT },
      { role: 'user', content: encodeInputContext(ctx).prompt },
    ],
    temperature: 0,
    seed: 7,
    max_tokens: 1024,
    response_format: { type: 'json_object' },
  });
  assert.match(
    PLANNER_SYSTEM_PROMPT,
    /\{"days":\[\{"day":0\.\.6,"meals":\[\{"slot":"breakfast\|lunch\|dinner","recipe_id":"\.\.\."\}\]\}\]\}/,
  );
  assert.match(String((request.body.messages as { content: string }[])[1]?.content), /- allergies: peanut/);
});

test('without a system prompt only the codec’s prompt is sent (for models fine-tuned on the prompt alone); no key, no header', async () => {
  answer({});
  await runtime({ systemPrompt: null }).plan(ctx);
  assert.deepEqual(requests[0]?.body.messages, [{ role: 'user', content: encodeInputContext(ctx).prompt }]);
  assert.equal(requests[0]?.headers.authorization, undefined);
});

test('non-JSON content is a failed row with the reason, and its tokens still count', async () => {
  answer({ content: 'Sure! Here is a lovely week of meals.', usage: { prompt_tokens: 1000, completion_tokens: 10 } });
  const output = await runPolicy(runtime(), ctx);
  assert.equal(output.plan, null);
  assert.match(output.error ?? '', /not JSON: "Sure! Here is a lovely week/);
  assert.ok(Math.abs(output.cost_usd - 0.515) < 1e-12);
});

test('an invented recipe id, a missing day or a wrong shape is a failed row naming the problem', async () => {
  const invented = structuredClone(WEEK);
  (invented.days[3]?.meals[0] as { recipe_id: string }).recipe_id = 'r-made-up';
  const cases: [string, RegExp][] = [
    [JSON.stringify(invented), /days\[3\]\.meals\[0\]\.recipe_id 'r-made-up' is not in the recipe catalogue/],
    [JSON.stringify({ days: WEEK.days.slice(0, 6) }), /day 6 is missing/],
    [JSON.stringify({ plan: [] }), /expected \{"days"/],
    [JSON.stringify({ days: [{ day: 0, meals: [{ slot: 'brunch', recipe_id: 'r-1' }] }] }), /slot must be one of breakfast, lunch, dinner/],
  ];
  for (const [content, reason] of cases) {
    answer({ content });
    const output = await runPolicy(runtime(), ctx);
    assert.equal(output.plan, null);
    assert.match(output.error ?? '', reason);
  }
});

test('JSON in a Markdown fence is read; null content is a failed row', async () => {
  answer({ content: `\`\`\`json\n${JSON.stringify(WEEK)}\n\`\`\`` });
  assert.deepEqual((await runPolicy(runtime(), ctx)).plan, normalizePlan(WEEK));
  answer({ content: null });
  assert.match((await runPolicy(runtime(), ctx)).error ?? '', /no text content/);
});

test('without usage in the answer, tokens are estimated at 4 characters each', async () => {
  answer({});
  const output = await runPolicy(runtime({ usdPer1kPromptTokens: 0, usdPer1kCompletionTokens: 1000 }), ctx);
  assert.equal(output.cost_usd, Math.ceil(JSON.stringify(WEEK).length / 4));
});

test('HTTP 503 is POLICY_UNREACHABLE and propagates out of runPolicy', async () => {
  answer({ status: 503, body: '{"error":"model is loading"}' });
  await assert.rejects(
    runPolicy(runtime(), ctx),
    (e) => isPolicyError(e, 'POLICY_UNREACHABLE') && /HTTP 503: \{"error":"model is loading"\}/.test(e.message),
  );
});

test('a refused connection and a timeout are POLICY_UNREACHABLE too', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(
    runtime({ baseUrl: `http://127.0.0.1:${port}` }).plan(ctx),
    (e) => isPolicyError(e, 'POLICY_UNREACHABLE') && /ECONNREFUSED/.test(e.message),
  );

  answer({ delayMs: 500 });
  await assert.rejects(
    runtime({ timeoutMs: 50 }).plan(ctx),
    (e) => isPolicyError(e, 'POLICY_UNREACHABLE') && /no answer within 50 ms/.test(e.message),
  );
});

test('404 is POLICY_MODEL_NOT_FOUND, other 4xx POLICY_REQUEST_REJECTED, a non-completion POLICY_RESPONSE_INVALID', async () => {
  answer({ status: 404, body: '{"error":"The model `planner-llm` does not exist."}' });
  await assert.rejects(runtime().plan(ctx), (e) => isPolicyError(e, 'POLICY_MODEL_NOT_FOUND'));
  answer({ status: 401, body: '{"error":"Unauthorized"}' });
  await assert.rejects(runtime().plan(ctx), (e) => isPolicyError(e, 'POLICY_REQUEST_REJECTED'));
  answer({ body: '<html>gateway</html>' });
  await assert.rejects(runtime().plan(ctx), (e) => isPolicyError(e, 'POLICY_RESPONSE_INVALID'));
  answer({ body: '{"object":"error"}' });
  await assert.rejects(
    runtime().plan(ctx),
    (e) => isPolicyError(e, 'POLICY_RESPONSE_INVALID') && /no choices\[0\]\.message/.test(e.message),
  );
});

test('options are checked up front', () => {
  assert.throws(
    () => runtime({ baseUrl: 'gpu-1:8000' }),
    (e) => isPolicyError(e, 'POLICY_SPEC_INVALID'),
  );
  assert.throws(
    () => runtime({ usdPer1kPromptTokens: -1 }),
    (e) => isPolicyError(e, 'POLICY_SPEC_INVALID'),
  );
  assert.equal(runtime().id, 'openai-compatible:planner-llm');
  assert.equal(runtime().kind, 'openai-compatible');
});
