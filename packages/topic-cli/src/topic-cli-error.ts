import { CodedError } from '@planner/errors';

export type TopicCliErrorCode = 'USAGE' | 'GROUP_ACTIVE' | 'NOT_FOUND';

export class TopicCliError extends CodedError<TopicCliErrorCode> {}
