/**
 * A minimal HTTP/1.1 keep-alive client for the benchmarks' load: one TCP connection, one request
 * at a time, each written in one piece, the answer read by Content-Length (Fastify always sends
 * it for these answers). Several times cheaper per request than `http.request`, which matters
 * when the load and the server share two cores. Any other answer shape (chunked) is reported as
 * an error.
 */
import net from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

export class RawConnection {
  readonly #url: URL;
  readonly #headers: string;
  readonly #timeoutMs: number;
  readonly #onConnect: () => void;
  #socket: net.Socket | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: { resolve(answer: RawAnswer | Error): void; timer: NodeJS.Timeout } | null = null;

  /**
   * @param headers sent with every request, e.g. `{ authorization: 'Bearer …' }`
   * @param onConnect called for every TCP connection opened (keep-alive: once)
   */
  constructor(url: URL, headers: Readonly<Record<string, string>>, timeoutMs: number, onConnect: () => void) {
    this.#url = url;
    this.#headers = `Host: ${url.host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}`;
    this.#timeoutMs = timeoutMs;
    this.#onConnect = onConnect;
  }

  /** Sends one request (an ASCII JSON body, or none); resolves with the answer or an Error, never rejects. */
  request(method: string, path: string, body?: string): Promise<RawAnswer | Error> {
    if (this.#pending !== null) return Promise.resolve(new Error('a request is already in flight on this connection'));
    const socket = this.#socket ?? this.#connect();
    const head = `${method} ${path} HTTP/1.1\r\n${this.#headers}`;
    const message = body === undefined
      ? `${head}\r\n`
      : `${head}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#fail(new Error('timeout')), this.#timeoutMs);
      this.#pending = { resolve, timer };
      socket.write(message, 'latin1');
    });
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.destroy();
  }

  #connect(): net.Socket {
    const socket = net.connect({ host: this.#url.hostname, port: Number(this.#url.port), noDelay: true });
    this.#onConnect();
    this.#buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => { if (this.#socket === socket) this.#onData(chunk); });
    socket.on('error', (err) => { if (this.#socket === socket) this.#fail(err); });
    socket.on('close', () => { if (this.#socket === socket) this.#fail(new Error('connection closed by the server')); });
    this.#socket = socket;
    return socket;
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.#buffer.toString('latin1', 0, headerEnd);
    const length = CONTENT_LENGTH.exec(head)?.[1];
    if (length === undefined) {
      this.#fail(new Error(`answer without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const bodyStart = headerEnd + HEADER_END.length;
    const bodyEnd = bodyStart + Number(length);
    if (this.#buffer.length < bodyEnd) return;
    if (this.#buffer.length > bodyEnd) {
      this.#fail(new Error('the server sent more than one answer'));
      return;
    }
    const answer = { status: Number(head.slice(9, 12)), text: this.#buffer.toString('utf8', bodyStart, bodyEnd) };
    this.#buffer = Buffer.alloc(0);
    const pending = this.#pending;
    this.#pending = null;
    if (CONNECTION_CLOSE.test(head)) this.close();
    if (pending !== null) {
      clearTimeout(pending.timer);
      pending.resolve(answer);
    }
  }

  #fail(err: Error): void {
    const pending = this.#pending;
    this.#pending = null;
    this.close();
    if (pending !== null) {
      clearTimeout(pending.timer);
      pending.resolve(err);
    }
  }
}
