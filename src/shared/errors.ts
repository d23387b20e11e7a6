import { DeedError } from './deed-error.js';

/** Input that a caller can fix: names the field and what was expected, never echoes secrets. */
export class InvalidInputError extends DeedError {
  constructor(message: string, field?: string) {
    super('invalid_input', message, field === undefined ? undefined : { field });
    this.name = 'InvalidInputError';
  }
}

/** The thing asked for does not exist (or the caller may not know it exists). */
export class NotFoundError extends DeedError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'NotFoundError';
  }
}

/** The caller is authenticated but not allowed to do this. */
export class ForbiddenError extends DeedError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}

/** Credentials missing or wrong. */
export class UnauthorizedError extends DeedError {
  constructor(message = 'authentication required: give a username and password (HTTP Basic) or an API key') {
    super('unauthorized', message);
    this.name = 'UnauthorizedError';
  }
}
