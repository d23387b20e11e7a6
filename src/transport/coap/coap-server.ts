import { createSocket, type Socket } from 'node:dgram';
import { isIPv6, type AddressInfo } from 'node:net';
import { Server, type CoapPacket, type IncomingMessage, type OutgoingMessage } from 'coap';
import { handleClaimRequest, MAX_CLAIM_PAYLOAD, type CoapClaimDeps } from './claim-resource.js';

/** A running CoAP listener. */
export interface CoapListener {
  /** The UDP port it is bound to. */
  readonly port: number;
  close(): Promise<void>;
}

const uint = (value: Buffer): number => (value.length === 0 ? 0 : value.readUIntBE(0, Math.min(value.length, 4)));

/**
 * node-coap reassembles Block1 (RFC 7959) uploads in memory without a bound. This server stops
 * a request at its first block when its Size1 option announces more than {@link MAX_CLAIM_PAYLOAD}
 * bytes, or at the block that takes it past that: the block is handed on as a request without
 * payload, marked too large, and answered 4.13 like an oversize datagram.
 */
class BoundedCoapServer extends Server {
  readonly tooLarge = new WeakSet<CoapPacket>();

  override _handle(packet: CoapPacket, rsinfo: AddressInfo): void {
    const options = packet.options ?? [];
    const block1 = options.find((option) => option.name === 'Block1');
    const size1 = options.find((option) => option.name === 'Size1');
    if (block1 !== undefined && Buffer.isBuffer(block1.value) && block1.value.length <= 3 && packet.code?.startsWith('0.') === true) {
      const value = uint(block1.value);
      const blockSize = 2 ** ((value & 0x7) + 4);
      const end = (value >>> 4) * blockSize + (packet.payload?.length ?? 0);
      const announced = size1 !== undefined && Buffer.isBuffer(size1.value) ? uint(size1.value) : 0;
      if (end > MAX_CLAIM_PAYLOAD || announced > MAX_CLAIM_PAYLOAD) {
        packet.options = options.filter((option) => option !== block1);
        packet.payload = Buffer.alloc(0);
        this.tooLarge.add(packet);
      }
    }
    super._handle(packet, rsinfo);
  }
}

async function bind(socket: Socket, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/**
 * Listens for devices' claim requests over CoAP (UDP) on `host:port`. A port that is taken (or
 * may not be bound) fails with a message naming DEED_COAP_PORT.
 */
export async function startCoapServer(deps: CoapClaimDeps, options: { readonly host: string; readonly port: number }): Promise<CoapListener> {
  // Not SO_REUSEADDR: on Linux two UDP sockets could then share the port and split the traffic.
  const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4', reuseAddr: false });
  try {
    await bind(socket, options.host, options.port);
  } catch (error) {
    socket.close();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const why = code === 'EADDRINUSE' ? 'the port is in use by another program'
      : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : code;
    throw new Error(`cannot listen for CoAP on udp ${options.host}:${options.port}: ${why}; set DEED_COAP_PORT to a free port, or to 0 to turn CoAP off`);
  }
  const server = new BoundedCoapServer({
    // Answer in the ACK (piggybacked) whenever the claim is stored within half a second.
    piggybackReplyMs: 500,
  });
  server.on('request', (request: IncomingMessage, response: OutgoingMessage) => {
    void handleClaimRequest(deps, request, response, server.tooLarge.has(request._packet));
  });
  server.on('error', (error: Error) => deps.log.warn({ err: { name: error.name, message: error.message } }, 'CoAP socket error'));
  server.listen(socket);
  const port = socket.address().port;
  return {
    port,
    async close() {
      server.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
