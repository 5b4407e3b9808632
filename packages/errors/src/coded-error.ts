export interface CodedErrorOptions extends ErrorOptions {
  /** True when the same operation may succeed later (a dependency was unavailable); false when retrying cannot help. */
  retryable?: boolean;
}

/**
 * An error raised on purpose: `message` is for people, `code` is stable so
 * programs (HTTP mappers, dead-letter routing, CLIs) can act on it, and
 * `retryable` says whether trying again later can succeed.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}
