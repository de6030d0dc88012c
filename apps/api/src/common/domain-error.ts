import type { ApiErrorCode } from '@holdout/contracts';

/** A rule the request broke. Services throw these; the global filter maps them to HTTP. */
export class DomainError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const forbidden = (message = 'you may not do this') => new DomainError('forbidden', message);
export const badRequest = (message: string, details?: unknown) => new DomainError('bad_request', message, details);

/** Exhaustive: adding a code to the contracts without a status here fails the build. */
export function httpStatusOf(code: ApiErrorCode): number {
  switch (code) {
    case 'bad_request':
      return 400;
    case 'unauthenticated':
    case 'invalid_credentials':
      return 401;
    case 'csrf_failed':
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
    case 'email_taken':
    case 'competition_not_open':
    case 'competition_not_ready':
    case 'submission_kind_not_allowed':
    case 'selection_limit':
    case 'not_selectable':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'unprocessable':
    case 'invalid_model':
      return 422;
    case 'quota_exceeded':
    case 'too_many_attempts':
      return 429;
    case 'internal':
      return 500;
    case 'unavailable':
    case 'kernels_disabled':
      return 503;
    default: {
      const never: never = code;
      return never;
    }
  }
}
