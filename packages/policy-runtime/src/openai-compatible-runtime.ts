import { encodeInputContext, type InputContext, type Recipe, type WeeklyPlan } from '@planner/domain';
import { PLAN_ANSWER_SHAPE, parsePlanAnswer } from './plan-answer.ts';
import { PolicyError } from './policy-error.ts';
import type { PolicyRuntime, PolicyUsage } from './policy-runtime.ts';

/**
 * The system message sent before the codec's prompt. Models fine-tuned
 * without a system message (`lora_sft.py` trains on the user prompt alone)
 * should be called with `systemPrompt: null`, so serving mirrors training.
 */
export const PLANNER_SYSTEM_PROMPT = [
  'You are a meal planner. Answer only with a JSON object, no prose and no Markdown, in this shape:',
  PLAN_ANSWER_SHAPE,
  'Days 0 (Monday) to 6 (Sunday), each with exactly one breakfast, lunch and dinner; recipe ids from the recipe catalogue only.',
].join('\n');

export const OPENAI_COMPATIBLE_DEFAULTS = { timeoutMs: 60_000, seed: 0, maxTokens: 1024 } as const;

export interface OpenAiCompatibleOptions {
  /** The server's root, e.g. `http://gpu-1:8000` (vLLM), `http://localhost:11434` (Ollama); a trailing `/v1` is accepted too. */
  baseUrl: string;
  /** The served model's name, as the server lists it in `/v1/models`. */
  model: string;
  /** Answers naming a recipe outside it are unusable. */
  catalogue: readonly Recipe[];
  /** Sent as `Authorization: Bearer <key>` (vLLM `--api-key`, hosted endpoints). */
  apiKey?: string;
  /** Per request, including reading the answer. Default 60 s. */
  timeoutMs?: number;
  /** With temperature 0, what makes a replay repeatable on servers that sample anyway. Default 0. */
  seed?: number;
  /** Default 1024: a week of 21 meals is about 400 tokens of JSON. */
  maxTokens?: number;
  /** USD per 1000 prompt (input) tokens, for the cost proxy. Default 0. */
  usdPer1kPromptTokens?: number;
  /** USD per 1000 completion (output) tokens. Default 0. */
  usdPer1kCompletionTokens?: number;
  /** Default PLANNER_SYSTEM_PROMPT; null sends the codec's prompt alone. */
  systemPrompt?: string | null;
  /** Default `openai-compatible:<model>`. */
  id?: string;
}

interface ChatCompletion {
  choices: { message: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

function invalidOption(message: string): never {
  throw new PolicyError('POLICY_SPEC_INVALID', message);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) invalidOption(`${name} must be a number ≥ 0, got ${v}`);
  return v;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/** A token count from `usage`, or — for servers that leave usage out — about 4 characters a token. */
function tokens(reported: unknown, text: string): number {
  return typeof reported === 'number' && Number.isFinite(reported) && reported >= 0 ? reported : Math.ceil(text.length / 4);
}

/**
 * An LLM planner behind an OpenAI-compatible chat completions endpoint
 * (vLLM, TGI, llama.cpp server, Ollama). Asks for a JSON object at
 * temperature 0 with a fixed seed; the user message is the codec's prompt,
 * byte for byte what the dataset's training rows hold.
 *
 * Errors: an answer that is not a usable plan → POLICY_OUTPUT_INVALID (a
 * failed row); no answer, HTTP 5xx, 408 or 429 → POLICY_UNREACHABLE; 404 →
 * POLICY_MODEL_NOT_FOUND; other 4xx → POLICY_REQUEST_REJECTED; a reply that
 * is not a chat completion → POLICY_RESPONSE_INVALID. Only the first is the
 * model's fault; the others propagate for the caller to retry or dead-letter.
 */
export class OpenAiCompatibleRuntime implements PolicyRuntime {
  readonly kind = 'openai-compatible';
  readonly id: string;
  readonly url: string;
  readonly #options: OpenAiCompatibleOptions;
  readonly #catalogueIds: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #seed: number;
  readonly #maxTokens: number;
  readonly #usdPer1kPrompt: number;
  readonly #usdPer1kCompletion: number;

  constructor(options: OpenAiCompatibleOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      invalidOption(`baseUrl must be an http(s) URL, got '${options.baseUrl}'`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') invalidOption(`baseUrl must be an http(s) URL, got '${options.baseUrl}'`);
    if (options.model === '') invalidOption('model must name the served model');
    const root = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.url = `${root}/v1/chat/completions`;
    this.id = options.id ?? `openai-compatible:${options.model}`;
    this.#options = options;
    this.#catalogueIds = new Set(options.catalogue.map((r) => r.recipe_id));
    this.#timeoutMs = nonNegative('timeoutMs', options.timeoutMs, OPENAI_COMPATIBLE_DEFAULTS.timeoutMs);
    this.#seed = nonNegative('seed', options.seed, OPENAI_COMPATIBLE_DEFAULTS.seed);
    this.#maxTokens = nonNegative('maxTokens', options.maxTokens, OPENAI_COMPATIBLE_DEFAULTS.maxTokens);
    this.#usdPer1kPrompt = nonNegative('usdPer1kPromptTokens', options.usdPer1kPromptTokens, 0);
    this.#usdPer1kCompletion = nonNegative('usdPer1kCompletionTokens', options.usdPer1kCompletionTokens, 0);
  }

  /** The chat completion request for a context: what goes over the wire. */
  request(context: InputContext): Record<string, unknown> {
    const { prompt } = encodeInputContext(context);
    const system = this.#options.systemPrompt === undefined ? PLANNER_SYSTEM_PROMPT : this.#options.systemPrompt;
    return {
      model: this.#options.model,
      messages: [...(system === null ? [] : [{ role: 'system', content: system }]), { role: 'user', content: prompt }],
      temperature: 0,
      seed: this.#seed,
      max_tokens: this.#maxTokens,
      response_format: { type: 'json_object' },
    };
  }

  async plan(context: InputContext, usage?: PolicyUsage): Promise<WeeklyPlan> {
    const body = JSON.stringify(this.request(context));
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;

    let status: number;
    let text: string;
    try {
      const response = await fetch(this.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${this.#timeoutMs} ms`
          : String((error as { cause?: { code?: unknown } }).cause?.code ?? (error as Error).message);
      throw new PolicyError('POLICY_UNREACHABLE', `${this.url}: ${reason}`, { cause: error });
    }
    if (status < 200 || status >= 300) {
      const message = `${this.url} answered HTTP ${status}: ${snippet(text)}`;
      if (status >= 500 || status === 408 || status === 429) throw new PolicyError('POLICY_UNREACHABLE', message);
      if (status === 404) throw new PolicyError('POLICY_MODEL_NOT_FOUND', `${message} (is '${this.#options.model}' served there?)`);
      throw new PolicyError('POLICY_REQUEST_REJECTED', message);
    }

    const completion = this.#completion(text);
    const choice = completion.choices[0] as ChatCompletion['choices'][number];
    const content = typeof choice.message.content === 'string' ? choice.message.content : '';
    // Tokens spent are spent, whether or not the answer turns out usable.
    if (usage !== undefined) {
      const promptTokens = tokens(completion.usage?.prompt_tokens, body);
      const completionTokens = tokens(completion.usage?.completion_tokens, content);
      usage.cost_usd += (promptTokens * this.#usdPer1kPrompt + completionTokens * this.#usdPer1kCompletion) / 1000;
    }
    if (typeof choice.message.content !== 'string') {
      throw new PolicyError('POLICY_OUTPUT_INVALID', `policy answer has no text content (finish_reason ${String(choice.finish_reason)})`);
    }
    try {
      return parsePlanAnswer(content, this.#catalogueIds);
    } catch (error) {
      if (choice.finish_reason === 'length' && error instanceof PolicyError) {
        throw new PolicyError(error.code, `${error.message} (cut off at max_tokens ${this.#maxTokens})`, { cause: error });
      }
      throw error;
    }
  }

  #completion(text: string): ChatCompletion {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new PolicyError('POLICY_RESPONSE_INVALID', `${this.url} did not answer JSON: ${snippet(text)}`);
    }
    const choices = (value as { choices?: unknown } | null)?.choices;
    const first = Array.isArray(choices) ? (choices[0] as { message?: unknown } | undefined) : undefined;
    if (typeof first?.message !== 'object' || first.message === null) {
      throw new PolicyError(
        'POLICY_RESPONSE_INVALID',
        `${this.url} did not answer a chat completion (no choices[0].message): ${snippet(text)}`,
      );
    }
    return value as ChatCompletion;
  }
}
