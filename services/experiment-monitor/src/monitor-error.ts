import { EventRejected } from '@planner/bus';
import { CodedError } from '@planner/errors';

/**
 * Why an exp.events event moves no metric. Each code is a dead-letter reason,
 * counted per code by planner_bus_dead_lettered_total{topic="exp.events", code}.
 */
export type RejectionCode =
  /** experiment_id, variant_id or policy_version_id is missing. */
  | 'EVENT_METADATA_MISSING'
  /** No experiment.started named this experiment, within the wait. */
  | 'EXPERIMENT_UNKNOWN'
  /** The experiment has no such variant. */
  | 'VARIANT_UNKNOWN'
  /** A value no real plan has: negative or non-finite latency or cost. */
  | 'EVENT_VALUE_INVALID';

/** Dead-letters the event at once, with its reason. */
export function rejected(code: RejectionCode, message: string): EventRejected {
  return new EventRejected(code, message);
}

/** An event of an experiment not heard of yet: retried in place while its experiment.started may still come. */
export class ExperimentNotYetKnown extends CodedError<'EXPERIMENT_NOT_YET_KNOWN'> {
  constructor(experimentId: string) {
    super('EXPERIMENT_NOT_YET_KNOWN', `no experiment.started for ${experimentId} yet`, { retryable: true });
  }
}
