import { DomainError, type ModelRef, parseModelUri } from '@planner/domain';
import { PolicyError } from './policy-error.ts';

/** The registered model a policy spec's `model_uri` names; a URI of another shape is POLICY_SPEC_INVALID. */
export function modelRefOf(uri: string): ModelRef {
  try {
    return parseModelUri(uri);
  } catch (error) {
    if (error instanceof DomainError) throw new PolicyError('POLICY_SPEC_INVALID', `policy spec: ${error.message}`, { cause: error });
    throw error;
  }
}
