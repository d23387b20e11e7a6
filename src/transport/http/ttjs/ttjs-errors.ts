import { ClaimError } from '../../../claiming/errors.js';
import { DeedError } from '../../../shared/deed-error.js';

/**
 * The one mapping of errors to answers of The Things Join Server claim API
 * (`spec/ttjs-claim-api.md`). The Things Stack's claiming client reads the status and the exact
 * `message` texts below, so they are part of the contract: change none of them.
 */

/** What a TTJS request was doing: the words the `Client not allowed to …` messages use. */
export type TtjsOperation = 'claim' | 'get status' | 'unclaim';

/** The operation of a request, by its method (PUT claims, GET asks for the status, DELETE unclaims). */
export function ttjsOperation(method: string): TtjsOperation {
  return method === 'PUT' ? 'claim' : method === 'DELETE' ? 'unclaim' : 'get status';
}

/** The exact texts of the contract. */
export const TTJS_MESSAGE = {
  invalidRequest: 'Invalid request',
  invalidDevEui: 'DevEUI not found or is invalid',
  unauthenticated: 'Unauthenticated: present a registered TLS client certificate or claim client bearer token',
  claimFailed: 'claim failed with given owner token',
  notAllowed: (operation: TtjsOperation) => `Client not allowed to ${operation}`,
  notProvisioned: 'Device not provisioned',
  notClaimed: 'Device not claimed',
  tooManyAttempts: 'Too many failed claim attempts; try again later',
  bodyTooLarge: 'Request body too large',
  notFound: 'Not found',
  internal: 'Internal error',
} as const;

/** An answer: HTTP status, the `message`, and for 429 how long to wait. */
export interface TtjsErrorAnswer {
  readonly status: number;
  readonly message: string;
  readonly retryAfterSeconds?: number;
}

/** Fastify's own errors: body parsing, schema validation, size limits. */
interface FrameworkError {
  readonly statusCode?: number;
  readonly validation?: unknown;
  readonly validationContext?: string;
}

/**
 * Maps any error thrown while serving a TTJS request to its answer. Unknown errors are 500
 * (the caller logs them); nothing else is.
 */
export function ttjsErrorAnswer(error: unknown, operation: TtjsOperation): TtjsErrorAnswer {
  if (error instanceof ClaimError) {
    switch (error.code) {
      case 'claim_failed': return { status: 403, message: TTJS_MESSAGE.claimFailed };
      case 'claim_locked': return { status: 403, message: TTJS_MESSAGE.notAllowed('claim') };
      case 'not_holder': return { status: 403, message: TTJS_MESSAGE.notAllowed(operation) };
      case 'device_not_provisioned': return { status: 404, message: TTJS_MESSAGE.notProvisioned };
      case 'not_claimed': return { status: 404, message: TTJS_MESSAGE.notClaimed };
      case 'rate_limited': {
        const wait = error.details?.['retryAfterSeconds'];
        return { status: 429, message: TTJS_MESSAGE.tooManyAttempts, ...(typeof wait === 'number' ? { retryAfterSeconds: wait } : {}) };
      }
    }
  }
  if (error instanceof DeedError) {
    switch (error.code) {
      // A claim's `kek` that is not 32, 48 or 64 hex digits (the key vault's parser names it so).
      case 'invalid_kek':
      case 'invalid_input':
        return { status: 400, message: error.details?.['field'] === 'devEui' ? TTJS_MESSAGE.invalidDevEui : TTJS_MESSAGE.invalidRequest };
      case 'unauthorized': return { status: 401, message: TTJS_MESSAGE.unauthenticated };
      // Not a claim client, or a claim client whose application is gone.
      case 'forbidden': return { status: 403, message: TTJS_MESSAGE.notAllowed(operation) };
      case 'not_found': return { status: 404, message: TTJS_MESSAGE.notProvisioned };
      default: return { status: 500, message: TTJS_MESSAGE.internal };
    }
  }
  const framework = (typeof error === 'object' && error !== null ? error : {}) as FrameworkError;
  if (framework.validation !== undefined) {
    return { status: 400, message: framework.validationContext === 'params' ? TTJS_MESSAGE.invalidDevEui : TTJS_MESSAGE.invalidRequest };
  }
  if (typeof framework.statusCode === 'number' && framework.statusCode >= 400 && framework.statusCode < 500) {
    return framework.statusCode === 413 ? { status: 413, message: TTJS_MESSAGE.bodyTooLarge } : { status: 400, message: TTJS_MESSAGE.invalidRequest };
  }
  return { status: 500, message: TTJS_MESSAGE.internal };
}
