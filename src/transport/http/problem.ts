import type { FastifyError, FastifyInstance } from 'fastify';
import { DeedError } from '../../shared/deed-error.js';

/** The one mapping of error codes to HTTP statuses for the REST API. */
const STATUS: Readonly<Record<string, number>> = {
  invalid_input: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  no_owner_token: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  malformed_file: 400,
  invalid_kek: 400,
  claim_failed: 403,
  claim_locked: 403,
  not_holder: 403,
  device_not_provisioned: 404,
  not_claimed: 404,
  unknown_access_token: 401,
  already_claimed: 409,
  claiming_not_allowed: 403,
  missing_column: 400,
};

/** RFC 9457 problem details, with Deed's stable `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly field?: string;
}

export function problem(status: number, code: string, detail: string, field?: string): Problem {
  return {
    type: `urn:deed:error:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(field !== undefined ? { field } : {}),
  };
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
};

/** Installs the error and not-found handlers that turn every failure into problem JSON. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DeedError | Error, request, reply) => {
    let body: Problem;
    if (err instanceof DeedError) {
      const field = typeof err.details?.['field'] === 'string' ? err.details['field'] : undefined;
      body = problem(STATUS[err.code] ?? 500, err.code, err.message, field);
    } else if ('validation' in err && err.validation !== undefined) {
      body = problem(400, 'invalid_request', `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params)/, '')}`);
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      const code = err.statusCode === 413 ? 'payload_too_large' : err.statusCode === 415 ? 'unsupported_media_type' : 'invalid_request';
      body = problem(err.statusCode, code, err.message);
    } else {
      request.log.error({ err: { name: err.name, message: err.message, code: (err as { code?: unknown }).code } }, 'request failed');
      body = problem(500, 'internal', 'internal error; see the server log');
    }
    if (body.status === 401) void reply.header('www-authenticate', 'Basic realm="deed", charset="UTF-8", Bearer realm="deed"');
    const retryAfter = err instanceof DeedError ? err.details?.['retryAfterSeconds'] : undefined;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    return reply.code(body.status).type('application/problem+json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).type('application/problem+json').send(problem(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
