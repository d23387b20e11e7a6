import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { hashToken } from '../../keyvault/secret-token.js';
import type { PeerRecord, PeerStore } from '../../peers/peer.js';

/** What identifies a Backend Interfaces or claim-API peer: its `Authorization` header and its connection. */
export interface PeerCredentials {
  readonly authorization: string | undefined;
  readonly socket: Socket;
}

/** The credentials a Fastify request carries. */
export function peerCredentialsOf(request: FastifyRequest): PeerCredentials {
  return { authorization: request.headers.authorization, socket: request.raw.socket };
}

/**
 * Identifies the Backend Interfaces peer behind a request: by its TLS client certificate (on the
 * HTTPS listener, verified against the client CA, matched by SHA-256 fingerprint) or by a bearer
 * token. Null when neither identifies a registered peer.
 */
export async function authenticatePeer(credentials: PeerCredentials, peers: PeerStore): Promise<PeerRecord | null> {
  const fingerprint = clientCertFingerprint(credentials.socket);
  if (fingerprint !== null) {
    const peer = await peers.findByCertFingerprint(fingerprint);
    if (peer !== null) return peer;
  }
  const header = credentials.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) {
    const token = header.slice(7).trim();
    if (token.length > 0 && token.length <= 512) return peers.findByTokenHash(hashToken(token));
  }
  return null;
}

/** SHA-256 fingerprint (upper-case hex) of a client certificate the TLS layer verified, else null. */
export function clientCertFingerprint(connection: Socket): string | null {
  const socket = connection as Partial<TLSSocket>;
  if (socket.encrypted !== true || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate();
  return typeof cert.fingerprint256 === 'string' && cert.fingerprint256 !== '' ? cert.fingerprint256.replace(/:/g, '').toUpperCase() : null;
}
