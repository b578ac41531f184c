/**
 * The steady-rate load generator, in its own thread so that sending 1,000
 * requests a second does not stall the bot's event loop it is measuring (in
 * production the senders are other machines). Each snapshot's `ts` is its
 * send time; the main thread computes latency from the decisions.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { mulberry32 } from '../../model/training/prng.js';
import { HttpClient } from './http.js';
import { healthy } from './snapshots.js';

export interface SenderJob {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  readonly hosts: number;
  readonly seed: number;
  readonly breachRate: number;
}

export interface SenderReport {
  readonly sent: number;
  readonly failures: number;
  /** ms from write to the complete 202 response */
  readonly postMs: number[];
  readonly sendSeconds: number;
  /** Share of the sender thread's time spent busy (event-loop utilisation). */
  readonly busy: number;
}

const job = workerData as SenderJob;
const client = new HttpClient(new URL(job.url));
const rng = mulberry32(job.seed);
const postMs: number[] = [];
let sent = 0;
let failures = 0;
let pending = 0;
const start = performance.now();
const elu0 = performance.eventLoopUtilization();
let lastSend = start;
while (performance.now() - start < job.seconds * 1000) {
  const due = Math.floor(((performance.now() - start) * job.rate) / 1000) + 1;
  while (sent < due) {
    const body = Buffer.from(
      JSON.stringify({ ...healthy(`lat-${sent % job.hosts}`, rng, job.breachRate), ts: new Date().toISOString() }),
    );
    pending++;
    client
      .post('/v1/metrics', body)
      .then(
        (r) => {
          if (r.status !== 202) failures++;
          postMs.push(r.ms);
        },
        () => failures++,
      )
      .finally(() => pending--);
    sent++;
    lastSend = performance.now();
  }
  await new Promise((r) => setTimeout(r, 1));
}
while (pending > 0) await new Promise((r) => setTimeout(r, 5));
client.close();
const report: SenderReport = {
  sent,
  failures,
  postMs,
  sendSeconds: (lastSend - start) / 1000,
  busy: performance.eventLoopUtilization(elu0).utilization,
};
parentPort?.postMessage(report);
