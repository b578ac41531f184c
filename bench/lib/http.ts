import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Keep-alive HTTP POSTs of JSON to the bot, timed from write to the complete response. */
export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface Post {
  status: number;
  /** ms from write to the complete response */
  ms: number;
}

export function post(url: URL, body: Buffer): Promise<Post> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/metrics',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
