import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { keys } from '../redis/keys.js';
import { Lease } from '../redis/lease.js';

/**
 * How long a dead agent's claim on its host outlives it. No longer than an
 * action job's lock: the jobs a dead agent left are not redelivered before
 * that lapses anyway, so a restart waits no longer than it already did.
 */
export const HOST_LEASE_MS = 10_000;
const RENEW_MS = HOST_LEASE_MS / 3;
const RETRY_MS = 500;

interface Holder {
  readonly instance: string;
  readonly pid: number;
  readonly machine: string;
  readonly since: string;
}

/** Another agent with this HOST_ID is alive: this one must not take the host's action jobs. */
export class HostTakenError extends Error {
  override readonly name = 'HostTakenError';
  constructor(host: string, holder: string | null) {
    super(
      `another agent is running as HOST_ID=${host} (${describe(holder)}); ` +
        'give every host its own HOST_ID (it defaults to the hostname, which cloned machines share)',
    );
  }
}

function describe(raw: string | null): string {
  try {
    const h = JSON.parse(raw ?? '') as Holder;
    return `pid ${h.pid} on ${h.machine}, since ${h.since}`;
  } catch {
    return 'holder unknown';
  }
}

/**
 * One agent per host. Its action jobs run whatever the policy says on the
 * machine that takes them, so a second agent with the same HOST_ID (a cloned
 * VM keeps its hostname) would run them on the wrong machine. An agent holds
 * a lease on its host while it runs: a second one waits out a dead
 * predecessor's lease, and refuses to start while a live one renews it.
 */
export class HostLease {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly lease: Lease,
    readonly host: string,
  ) {}

  static async acquire(
    redis: Redis,
    host: string,
    instance: string,
    now: () => Date,
    logger: Logger,
  ): Promise<HostLease> {
    const holder: Holder = { instance, pid: process.pid, machine: hostname(), since: now().toISOString() };
    const lease = new Lease(redis, keys.agentLease(host), JSON.stringify(holder), HOST_LEASE_MS);
    const deadline = Date.now() + HOST_LEASE_MS + RETRY_MS;
    let told = false;
    while (!(await lease.hold())) {
      const other = await lease.holder();
      if (Date.now() > deadline) throw new HostTakenError(host, other);
      if (!told)
        logger.warn(
          { host, holder: describe(other) },
          'this host has an agent already; waiting for its lease to lapse',
        );
      told = true;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    return new HostLease(lease, host);
  }

  /** Renews the lease; `onLost` runs once if another agent took it meanwhile (this one stalled past it). */
  keep(onLost: (error: HostTakenError) => void, logger: Logger): void {
    this.timer = setInterval(() => {
      this.lease.hold().then(
        async (held) => {
          if (held || !this.timer) return;
          this.stop();
          onLost(new HostTakenError(this.host, await this.lease.holder()));
        },
        (err: unknown) => logger.warn({ err }, 'could not renew the host lease; retrying'),
      );
    }, RENEW_MS);
    this.timer.unref();
  }

  async release(): Promise<void> {
    this.stop();
    await this.lease.release();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
