/**
 * A minimal HTTP/1.1 keep-alive client for the load process: one TCP connection, one request at a
 * time, the request written in one piece, the answer read by Content-Length. It costs the load
 * process several times less CPU per request than `http.request`, which matters when the load and
 * the server share two cores. Enough for the JSON answers of the servers under test (Fastify
 * always sends Content-Length for them); anything else (chunked answers) is reported as an error.
 */
import net from 'node:net';

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

interface Pending {
  resolve(answer: HttpAnswer | Error): void;
  timer: NodeJS.Timeout;
}

export class RawHttpConnection {
  readonly #host: string;
  readonly #port: number;
  readonly #requestHead: string;
  readonly #timeoutMs: number;
  readonly #onConnect: () => void;
  #socket: net.Socket | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Pending | null = null;
  #closeAfter = false;

  /**
   * @param headers extra request headers, e.g. `{ authorization: 'Bearer …' }`
   * @param onConnect called for every TCP connection opened (keep-alive: once, unless the server closes it)
   */
  constructor(url: URL, path: string, headers: Readonly<Record<string, string>>, timeoutMs: number, onConnect: () => void) {
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#timeoutMs = timeoutMs;
    this.#onConnect = onConnect;
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    this.#requestHead = `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n${extra}Content-Length: `;
  }

  /** POSTs `body` (ASCII JSON); resolves with the answer, or with an Error (never rejects). */
  post(body: string): Promise<HttpAnswer | Error> {
    if (this.#pending !== null) return Promise.resolve(new Error('a request is already in flight on this connection'));
    const socket = this.#socket ?? this.#connect();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#fail(new Error('timeout')), this.#timeoutMs);
      this.#pending = { resolve, timer };
      socket.write(`${this.#requestHead}${body.length}\r\n\r\n${body}`, 'latin1');
    });
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.destroy();
  }

  #connect(): net.Socket {
    const socket = net.connect({ host: this.#host, port: this.#port, noDelay: true });
    this.#onConnect();
    this.#buffer = Buffer.alloc(0);
    this.#closeAfter = false;
    // Events of a connection this client already let go of are ignored.
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
    const status = Number(head.slice(9, 12));
    const text = this.#buffer.toString('utf8', bodyStart, bodyEnd);
    if (this.#buffer.length > bodyEnd) {
      this.#fail(new Error('the server sent more than one answer'));
      return;
    }
    this.#buffer = Buffer.alloc(0);
    this.#closeAfter = CONNECTION_CLOSE.test(head);
    const pending = this.#pending;
    this.#pending = null;
    if (this.#closeAfter) this.close();
    if (pending !== null) {
      clearTimeout(pending.timer);
      pending.resolve({ status, text });
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
