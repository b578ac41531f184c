import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../audit/chain.js';
import type { Config } from '../config/types.js';
import type { ActionJob } from './queues.js';

/**
 * Action jobs are signed by the bot with Ed25519 and checked by the agent
 * with the bot's public key. A public key on every host gives a host that is
 * broken into nothing to sign with (an HMAC key per host would have to sit
 * on the host, and all of them on the bot), and one key pair is all there is
 * to configure. The signature covers the whole job (host, key, trigger,
 * approval, incidents, actions with their parameters) and its expiry.
 */

/** How long an issued job stays runnable: an agent that comes back later finds it expired, not run. */
export const JOB_TTL_MS = 24 * 3_600_000;

export interface JobSignature {
  readonly expires_at: string;
  /** Ed25519 over the canonical JSON of the job with `expires_at`, base64. */
  readonly signature: string;
}
export type SignedActionJob = ActionJob & JobSignature;

/**
 * The development key pair, from a published seed: `npm start` works with no
 * set-up, and a fleet that keeps it is told so at start (see docs/security.md).
 */
export const DEVELOPMENT_SEED = createHash('sha256')
  .update('healgate development action-signing key; not secret')
  .digest();

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/** The 32 raw bytes of a public key (what ACTION_VERIFY_KEY holds, base64). */
export function rawPublicKey(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
}

function payload(job: ActionJob, expiresAt: string): Buffer {
  const { key, host, trigger, approval_id, incident_ids, actions, enqueued_at } = job;
  const signed = { v: 1, key, host, trigger, approval_id, incident_ids, actions, enqueued_at, expires_at: expiresAt };
  return Buffer.from(canonicalJson(signed));
}

export class JobSigner {
  constructor(private readonly key: KeyObject) {}

  sign(job: ActionJob, now: Date): SignedActionJob {
    const expiresAt = new Date(now.getTime() + JOB_TTL_MS).toISOString();
    const signature = sign(null, payload(job, expiresAt), this.key).toString('base64');
    return { ...job, expires_at: expiresAt, signature };
  }

  /** What the agents must be given to check this signer's jobs. */
  verifier(): JobVerifier {
    return new JobVerifier(createPublicKey(this.key));
  }
}

export class JobVerifier {
  constructor(private readonly key: KeyObject) {}

  /** Why `host`'s agent must not run this job, or undefined when the bot issued it for this host and it is current. */
  refusal(job: SignedActionJob, host: string, now: Date): string | undefined {
    if (job.host !== host) return `it is for ${job.host}, not ${host}`;
    const signature = Buffer.from(job.signature, 'base64');
    if (!verify(null, payload(job, job.expires_at), this.key, signature))
      return "its signature is not the bot's (forged, altered or signed with another key)";
    if (Date.parse(job.expires_at) <= now.getTime()) return `it expired at ${job.expires_at}`;
    return undefined;
  }
}

/** The bot's signer: ACTION_SIGNING_KEY, else the development key (and `development` says so). */
export function signerFor(config: Pick<Config, 'actionSigningKey'>): { signer: JobSigner; development: boolean } {
  return {
    signer: new JobSigner(privateKeyFromSeed(config.actionSigningKey ?? DEVELOPMENT_SEED)),
    development: config.actionSigningKey === undefined,
  };
}

/** An agent's verifier: ACTION_VERIFY_KEY, else the public half of ACTION_SIGNING_KEY (beside the bot), else the development key. */
export function verifierFor(config: Pick<Config, 'actionSigningKey' | 'actionVerifyKey'>): {
  verifier: JobVerifier;
  development: boolean;
} {
  if (config.actionVerifyKey)
    return { verifier: new JobVerifier(publicKeyFromRaw(config.actionVerifyKey)), development: false };
  const { signer, development } = signerFor(config);
  return { verifier: signer.verifier(), development };
}
