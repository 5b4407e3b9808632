import { CodedError } from '@planner/errors';

/**
 * Stable codes the replay routes on. Only POLICY_OUTPUT_INVALID is the
 * policy's own fault on one row (runPolicy turns it into a failed row); the
 * others say the runtime could not be built or reached, and propagate so the
 * caller retries or dead-letters the shard instead of blaming the model.
 */
export type PolicyErrorCode =
  /** The model's files are missing, malformed or built for another codec. */
  | 'POLICY_MODEL_INVALID'
  /** The registry (or the LLM server) does not know the model, version or alias, or it is not READY yet. */
  | 'POLICY_MODEL_NOT_FOUND'
  /** The policy answered, but its answer is not a usable plan (not JSON, wrong shape, unknown recipe). */
  | 'POLICY_OUTPUT_INVALID'
  /** No answer: connection refused, timeout, HTTP 5xx/408/429, registry unreachable. Retryable. */
  | 'POLICY_UNREACHABLE'
  /** The server answered, but not with an OpenAI chat completion (a proxy's error page, a missing `choices`). */
  | 'POLICY_RESPONSE_INVALID'
  /** The server refused the request itself (HTTP 4xx other than 404/408/429): misconfiguration, not the model. */
  | 'POLICY_REQUEST_REJECTED'
  /** A policy spec or runtime option is malformed (bad model URI, missing API key variable, ...). */
  | 'POLICY_SPEC_INVALID';

export class PolicyError extends CodedError<PolicyErrorCode> {}

export function isPolicyError(error: unknown, code?: PolicyErrorCode): error is PolicyError {
  return error instanceof PolicyError && (code === undefined || error.code === code);
}
