/** A request's answer came due before Redis answered. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * How long before its answer is due a request's writes stop taking effect in
 * Redis: the reply of a write Redis took just in time still reaches us
 * before we answer, so "refused" and "too late" are never both true.
 */
export const WRITE_GRACE_MS = 500;

/**
 * When a request's answer is due, on this process's clock. Redis commands
 * wait for a reconnect rather than fail (BullMQ needs that), and a frozen
 * Redis never answers at all: every wait on Redis made for a request goes
 * through `race`, and every write it makes is refused by Redis after
 * `redisMs` (see ingest-commit.lua, firewall-request.lua).
 */
export class Deadline {
  constructor(readonly atMs: number) {}

  static after(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  get expired(): boolean {
    return Date.now() >= this.atMs;
  }

  /** The last instant, on Redis's clock, at which a write made for this request may still take effect. */
  redisMs(toRedis: (localMs: number) => number): number {
    return Math.floor(toRedis(this.atMs - WRITE_GRACE_MS));
  }

  /**
   * `promise`, or a DeadlineError when the answer is due. The timer defers
   * its verdict to the check phase, so a reply that reached the socket
   * before the deadline is read (poll phase) and wins.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (settled) return;
            settled = true;
            reject(new DeadlineError(`Redis did not answer in time`));
          }),
        Math.max(0, this.atMs - Date.now()),
      );
      promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
