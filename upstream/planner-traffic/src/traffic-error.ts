import { CodedError } from '@planner/errors';

export type TrafficErrorCode =
  /** A command-line flag or environment variable is malformed; the message names it. */
  | 'TRAFFIC_FLAG_INVALID'
  /** The promotion-gate did not give the active policy document. */
  | 'TRAFFIC_GATE_UNAVAILABLE'
  /** The product tables are missing or hold no households. */
  | 'TRAFFIC_WORLD_MISSING'
  /** A policy version did not answer within --policy-timeout-ms. */
  | 'POLICY_TIMEOUT';

export class TrafficError extends CodedError<TrafficErrorCode> {}
