import { CodedError } from '../../../packages/errors/src/index.ts';

/**
 * The errors of the deployment checks' tooling: a prerequisite is missing (Go, Python), installing a tool
 * into the cache failed, or a tool refused its input. Messages name what to do.
 */
export type DeployValidateErrorCode = 'PREREQUISITE_MISSING' | 'TOOL_INSTALL_FAILED' | 'TOOL_FAILED';

export class DeployValidateError extends CodedError<DeployValidateErrorCode> {}
