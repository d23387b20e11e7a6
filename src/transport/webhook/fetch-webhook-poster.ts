import type { PostResult, WebhookPoster } from '../../events/webhook-dispatcher.js';

/** Error codes of Node's HTTP client (undici) worth naming; anything else is "request failed". */
const KNOWN_CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body timed out',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

/** A short, safe description of a failed request: never the URL, a header or the body. */
function describeFailure(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code !== undefined) return KNOWN_CAUSES[code] ?? `request failed (${code.replace(/[^A-Z0-9_]/g, '')})`;
  return 'request failed';
}

/**
 * The dispatcher's HTTP client: one POST with Node's `fetch`, redirects not followed (a 3xx
 * counts as a failure, so a receiver cannot bounce deliveries elsewhere), the response body
 * discarded unread.
 */
export function createFetchWebhookPoster(): WebhookPoster {
  return async (request, { timeoutMs, signal }): Promise<PostResult> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
      await response.body?.cancel().catch(() => undefined);
      return { status: response.status };
    } catch (error) {
      if (signal.aborted) return { error: 'aborted: the server is stopping' };
      return { error: describeFailure(error, timeoutMs, timeout.aborted) };
    }
  };
}
