import type { FastifyReply } from 'fastify';

/** A comment line now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** One open server-sent events response. */
export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly reply: FastifyReply,
    headers: Record<string, string>,
    onClose: () => void,
  ) {
    reply.hijack();
    reply.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    reply.raw.write('retry: 2000\n\n');
    this.heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), HEARTBEAT_MS);
    reply.raw.on('close', () => {
      this.closed = true;
      clearInterval(this.heartbeat);
      onClose();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One event; `data` is JSON, on one line, so no payload can forge a field. */
  send(event: string, data: unknown, id?: string): void {
    if (this.closed) return;
    this.reply.raw.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.closed) this.reply.raw.end();
  }
}
