import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** Why a connection was cut: a control packet announced more than the limit. */
export class PacketTooLargeError extends Error {
  constructor(readonly announced: number, readonly limit: number) {
    super(`an MQTT packet of ${announced} bytes is larger than the ${limit} bytes this broker accepts`);
    this.name = 'PacketTooLargeError';
  }
}

/**
 * Follows the MQTT fixed headers (type byte, then the "remaining length" varint of up to four
 * bytes) across the bytes of a stream, and tells when a packet announces more than `limit`
 * bytes. The broker's parser would otherwise buffer up to 256 MiB for one packet, before any
 * authentication.
 */
export class PacketSizeMeter {
  /** Bytes of the current packet's body still to skip. */
  #skip = 0;
  /** Where we are in a fixed header: 0 = at the type byte, 1..4 = reading length byte n. */
  #headerByte = 0;
  #length = 0;
  #multiplier = 1;

  constructor(readonly limit: number) {}

  /** Feeds the next bytes; throws PacketTooLargeError at the first packet over the limit. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - i);
        this.#skip -= step;
        i += step;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.#headerByte === 0) {
        this.#headerByte = 1;
        this.#length = 0;
        this.#multiplier = 1;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      if ((byte & 0x80) !== 0 && this.#headerByte < 4) {
        this.#headerByte++;
        continue;
      }
      // A fifth length byte is malformed: the parser refuses it; stop following.
      if (this.#length > this.limit) throw new PacketTooLargeError(this.#length, this.limit);
      this.#headerByte = 0;
      this.#skip = this.#length;
    }
  }
}

/**
 * Wraps a client socket for the broker: bytes pass unchanged, but a packet that announces more
 * than `limit` bytes destroys the connection before its body is read.
 */
export function limitPacketSize(socket: Socket, limit: number, onTooLarge: (error: PacketTooLargeError) => void): Duplex {
  const meter = new PacketSizeMeter(limit);
  const guarded = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    // The broker corks its writes (a PUBACK and a response): they leave in one system call.
    writev(chunks, callback) {
      if (chunks.length === 0) {
        callback();
        return;
      }
      socket.cork();
      chunks.forEach(({ chunk }, i) => socket.write(chunk as Buffer, i === chunks.length - 1 ? callback : undefined));
      socket.uncork();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      meter.push(chunk);
    } catch (error) {
      onTooLarge(error as PacketTooLargeError);
      socket.destroy();
      guarded.destroy();
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  let ended = false;
  socket.on('end', () => {
    ended = true;
    // The broker still reads what is buffered (a last PUBLISH, a DISCONNECT), then sees the end.
    guarded.push(null);
  });
  socket.on('error', (error) => guarded.destroy(error));
  socket.on('close', () => {
    if (!ended) guarded.destroy();
  });
  return guarded;
}
