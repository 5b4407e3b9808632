import { CodedError } from '@planner/errors';

export type AssignmentErrorCode = 'UNIT_ID_INVALID' | 'ALLOCATION_INVALID' | 'ACTIVE_POLICY_INVALID';

export class AssignmentError extends CodedError<AssignmentErrorCode> {}
