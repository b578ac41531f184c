import { readFileSync } from 'node:fs';

/**
 * What one client may hold of the bot's HTTP server. Slow clients (headers
 * sent a byte at a time, a body that never completes, idle connections)
 * are cut off by these timeouts; the connection cap keeps sockets from
 * taking the descriptors Redis connections and files need. See
 * docs/guarantees.md for why these values.
 */
export const HTTP_LIMITS = {
  /** From a connection's first byte to the end of its request's headers. */
  headersTimeoutMs: 10_000,
  /** From the first byte to the end of the body: 1 MiB (BODY_LIMIT) needs 70 KiB/s. */
  requestTimeoutMs: 15_000,
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: 10_000,
  /** A socket with no traffic at all, whatever it is doing. */
  idleTimeoutMs: 60_000,
  /** How often Node checks the two request timeouts (its default, 30 s, would let them overrun by as much). */
  checkEveryMs: 1_000,
  /** Open connections at most; more are closed at once. */
  maxConnections: 4_096,
  /** Descriptors kept free below the process's limit for Redis connections, files and child processes. */
  reservedDescriptors: 256,
} as const;

/** The connection cap: HTTP_LIMITS.maxConnections, lowered to fit under the process's descriptor limit. */
export function connectionCap(descriptors = openFilesLimit()): number {
  const { maxConnections, reservedDescriptors } = HTTP_LIMITS;
  if (descriptors === undefined) return maxConnections;
  return Math.max(16, Math.min(maxConnections, descriptors - reservedDescriptors));
}

/** The soft RLIMIT_NOFILE on Linux (Node cannot ask for it elsewhere); undefined when unknown. */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
