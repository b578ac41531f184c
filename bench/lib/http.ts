import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * Keep-alive HTTP/1.1 POSTs of JSON to the bot, timed from write to the
 * complete response, on raw sockets: the load generator shares the machine
 * with the bot and Redis, and node:http's client spends several times the
 * CPU per request that the bot's own pipeline does. In production the senders
 * are other machines, so what the generator costs here is measurement error.
 * One request per socket at a time (no pipelining), as real clients send.
 */
export interface Post {
  status: number;
  /** ms from write to the complete response */
  ms: number;
}

interface Pending {
  readonly start: number;
  readonly resolve: (p: Post) => void;
  readonly reject: (e: Error) => void;
}

class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;

  constructor(
    readonly socket: Socket,
    private readonly done: (c: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(head: string, body: Buffer): Promise<Post> {
    return new Promise((resolve, reject) => {
      this.pending = { start: performance.now(), resolve, reject };
      this.socket.write(Buffer.concat([Buffer.from(head), body]));
    });
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffered.length < end + 4 + length) return;
    this.buffered = this.buffered.subarray(end + 4 + length);
    const { start, resolve } = this.pending;
    this.pending = undefined;
    this.done(this);
    resolve({ status: Number(head.slice(9, 12)), ms: performance.now() - start });
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}

export class HttpClient {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();

  constructor(private readonly url: URL) {}

  post(path: string, body: Buffer): Promise<Post> {
    const head =
      `POST ${path} HTTP/1.1\r\nhost: ${this.url.host}\r\ncontent-type: application/json\r\n` +
      `content-length: ${body.length}\r\n\r\n`;
    return (this.idle.pop() ?? this.open()).send(head, body);
  }

  close(): void {
    for (const c of this.all) c.socket.destroy();
  }

  private open(): Connection {
    const socket = connect(Number(this.url.port), this.url.hostname);
    const connection = new Connection(socket, (c) => this.idle.push(c));
    socket.once('close', () => {
      this.all.delete(connection);
      const i = this.idle.indexOf(connection);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.all.add(connection);
    return connection;
  }
}
