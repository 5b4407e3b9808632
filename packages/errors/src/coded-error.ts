/**
 * An error raised on purpose: `message` is for people, `code` is stable so
 * programs (HTTP mappers, dead-letter routing, CLIs) can act on it.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
