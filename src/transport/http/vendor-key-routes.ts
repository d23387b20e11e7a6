import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Authenticator } from '../../accounts/authenticate.js';
import { importVendorKeys, VENDOR_KEYS_MAX_ENTRIES, type VendorKeyDeps } from '../../provisioning/vendor-keys.js';
import { InvalidInputError } from '../../shared/errors.js';
import { authenticatedAccount, requireAccount, routeSecurity } from './account-auth.js';
import { errorResponses } from './schemas.js';

/** 10,000 entries of about 150 bytes fit many times over; the server-wide limit (1 MiB by default) does not. */
const BODY_LIMIT = 16 * 1024 * 1024;

const Fields = Type.Array(Type.Union([Type.Literal('appKey'), Type.Literal('nwkKey')]));

/** The answer: an allow-list, so no key material can slip into it. */
const VendorKeyAnswerSchema = Type.Object({
  results: Type.Array(Type.Object({
    index: Type.Integer({ description: 'Position of the entry in `devices`' }),
    ok: Type.Boolean(),
    devEUI: Type.Optional(Type.String()),
    uniqueId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    attached: Type.Optional(Fields),
    replaced: Type.Optional(Fields),
    unchanged: Type.Optional(Fields),
    code: Type.Optional(Type.String({ description: 'invalid_entry, unknown_device, unwrap_failed, keys_present or busy' })),
    message: Type.Optional(Type.String()),
  })),
  summary: Type.Object({
    total: Type.Integer(), attached: Type.Integer(), unchanged: Type.Integer(), failed: Type.Integer(), dryRun: Type.Boolean(),
  }),
});

/** Documents the request; the use case checks it (and says what is wrong in its own words). */
const VendorKeyRequestSchema = Type.Object({
  kek: Type.String({ description: 'The transport KEK the keys are wrapped under: 32, 48 or 64 hex digits. Never stored, never logged.' }),
  kekLabel: Type.Optional(Type.String({ description: 'A name for the transport KEK, recorded in the audit log' })),
  devices: Type.Array(Type.Object({
    uniqueId: Type.Optional(Type.String({ description: 'Secure element serial number, 18 hex digits' })),
    devEui: Type.Optional(Type.String({ description: 'DevEUI, 16 hex digits' })),
    appKey: Type.String({ description: 'The AppKey wrapped with RFC 3394 under kek: 48 hex digits' }),
    nwkKey: Type.Optional(Type.String({ description: 'The NwkKey (LoRaWAN 1.1), wrapped likewise' })),
  }), { description: `At most ${VENDOR_KEYS_MAX_ENTRIES} entries per request` }),
  dryRun: Type.Optional(Type.Boolean({ description: 'Unwrap and check everything, change nothing' })),
  replace: Type.Optional(Type.Boolean({ description: 'Overwrite root keys a device already has (else: keys_present)' })),
});

/**
 * `POST /api/v1/vendor-keys` (admin; API keys need `devices:write`): attaches the root keys of a
 * vendor key batch to devices by secure element or DevEUI, with per-entry results.
 */
export async function vendorKeyRoutes(app: FastifyInstance, deps: VendorKeyDeps & { auth: Authenticator }): Promise<void> {
  // In this plugin only: a body that is not JSON gets a plain answer that quotes none of it (it carries the KEK).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') {
      done(new InvalidInputError('the body is empty; expected {"kek": …, "kekLabel": …, "devices": [ … ]}'), undefined);
      return;
    }
    let value: unknown;
    try {
      // Plain JSON.parse: the use case reads named fields only and never merges the body into an object.
      value = JSON.parse(body as string);
    } catch {
      done(new InvalidInputError('the body is not valid JSON (truncated, or not JSON at all)'), undefined);
      return;
    }
    done(null, value);
  });

  app.post('/api/v1/vendor-keys', {
    preHandler: requireAccount(deps.auth, ['admin'], 'devices:write'),
    bodyLimit: BODY_LIMIT,
    // The use case checks the body and names what is wrong; the schema documents it.
    validatorCompiler: () => (value: unknown) => ({ value }),
    schema: {
      summary: 'Attach root keys from a vendor key batch (keys wrapped under a transport KEK)',
      description: 'Per-entry results; bad entries never stop the batch. Running a batch again changes nothing. See docs/custody.md.',
      tags: ['devices'], security: routeSecurity('devices:write'),
      body: VendorKeyRequestSchema,
      response: { 200: VendorKeyAnswerSchema, ...errorResponses },
    },
  }, async (request) => importVendorKeys(deps, authenticatedAccount(request), request.body));
}
