/**
 * A minimal MQTT 3.1.1 client for the window benchmark: CONNECT with a username, SUBSCRIBE,
 * PUBLISH (QoS 0 or 1), and the server's CONNACK, SUBACK, PUBACK and PUBLISH. Thousands of them
 * fit in one process at a fraction of the CPU of a full client, which matters when the load and
 * the broker share two cores. Anything unexpected is an error; no reconnects.
 */
import net from 'node:net';

function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(header: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([header]), varint(body.length), body]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** CONNECT, clean session, username only. */
export function connectPacket(clientId: string, username: string, keepaliveSeconds = 600): Buffer {
  return packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([0x04, 0x82]), u16(keepaliveSeconds), str(clientId), str(username)]));
}

export function subscribePacket(id: number, topic: string, qos: 0 | 1): Buffer {
  return packet(0x82, Buffer.concat([u16(id), str(topic), Buffer.from([qos])]));
}

export function publishPacket(topic: string, payload: string, qos: 0 | 1, id = 1): Buffer {
  const body = qos === 0 ? Buffer.concat([str(topic), Buffer.from(payload)]) : Buffer.concat([str(topic), u16(id), Buffer.from(payload)]);
  return packet(qos === 0 ? 0x30 : 0x32, body);
}

/** Handlers of one connection; each is optional. */
export interface RawMqttEvents {
  connack?(returnCode: number): void;
  suback?(id: number, granted: number): void;
  puback?(id: number): void;
  message?(topic: string, payload: Buffer): void;
  close?(error: Error | null): void;
}

/** One MQTT connection. */
export class RawMqttClient {
  readonly socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;

  constructor(port: number, host: string, readonly events: RawMqttEvents) {
    this.socket = net.connect({ port, host, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.socket.on('error', (error) => this.#close(error));
    this.socket.on('close', () => this.#close(null));
  }

  write(bytes: Buffer): void {
    if (!this.#closed) this.socket.write(bytes);
  }

  end(): void {
    if (this.#closed) return;
    this.socket.end(Buffer.from([0xe0, 0x00]));
  }

  #close(error: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.events.close?.(error);
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const buf = this.#buffer;
      if (buf.length < 2) return;
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (;;) {
        if (i >= buf.length) return;
        const byte = buf[i++] as number;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) break;
        if (i > 4) {
          this.socket.destroy(new Error('malformed remaining length'));
          return;
        }
      }
      if (buf.length < i + length) return;
      this.#handle(buf[0] as number, buf.subarray(i, i + length));
      this.#buffer = buf.subarray(i + length);
    }
  }

  #handle(header: number, body: Buffer): void {
    switch (header >> 4) {
      case 2:
        this.events.connack?.(body[1] ?? -1);
        break;
      case 9:
        this.events.suback?.(body.readUInt16BE(0), body[2] ?? -1);
        break;
      case 4:
        this.events.puback?.(body.readUInt16BE(0));
        break;
      case 3: {
        const qos = (header >> 1) & 0x3;
        const topicLength = body.readUInt16BE(0);
        const topic = body.subarray(2, 2 + topicLength).toString('utf8');
        const start = 2 + topicLength + (qos > 0 ? 2 : 0);
        if (qos === 1) this.write(Buffer.from([0x40, 0x02, body[2 + topicLength] ?? 0, body[3 + topicLength] ?? 0]));
        this.events.message?.(topic, body.subarray(start));
        break;
      }
      default:
        break;
    }
  }
}
