export { CodedError, type CodedErrorOptions } from './coded-error.ts';
export { isTransient } from './transient.ts';
