import { CodedError } from '@planner/errors';

/** The catalogue of errors the HTTP APIs answer with, and their status codes. */
export const HTTP_ERRORS = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_READY: 503,
  INTERNAL: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** Thrown by route handlers; answered as `{ error: { code, message, details? } }` with the catalogue's status. */
export class HttpError extends CodedError<HttpErrorCode> {
  readonly details: unknown;

  constructor(code: HttpErrorCode, message: string, details?: unknown) {
    super(code, message);
    this.details = details;
  }

  get status(): number {
    return HTTP_ERRORS[this.code];
  }
}

/** The JSON schema of every error body, for OpenAPI. */
export const errorResponseSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(HTTP_ERRORS) },
        message: { type: 'string' },
        details: {},
      },
    },
  },
} as const;
