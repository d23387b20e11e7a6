import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';

/** The server settings Fastify applies to the HTTP server it creates (its processed options). */
export interface PlainHttpServerSettings {
  readonly http?: ServerOptions | null;
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
  readonly maxRequestsPerSocket?: number;
}

/**
 * A node:http server with `listener`, configured as Fastify configures the server it creates
 * itself (keep-alive, request and connection timeouts, requests per socket): for Fastify's
 * `serverFactory`, so that a listener in front of Fastify changes nothing else.
 */
export function createPlainHttpServer(settings: PlainHttpServerSettings, listener: RequestListener): Server {
  const server = createServer(settings.http ?? {}, listener);
  if (settings.keepAliveTimeout !== undefined) server.keepAliveTimeout = settings.keepAliveTimeout;
  if (settings.requestTimeout !== undefined) server.requestTimeout = settings.requestTimeout;
  if (settings.connectionTimeout !== undefined) server.setTimeout(settings.connectionTimeout);
  // Zero means Node's default (no limit), as in Fastify.
  if (settings.maxRequestsPerSocket !== undefined && settings.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
  return server;
}
