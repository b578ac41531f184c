import { createHmac, randomBytes } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const CHANNEL = 'CALERTS';

export interface SlackUser {
  readonly id: string;
  readonly name: string;
}

export interface SendOptions {
  /** Seconds since the epoch; now by default. */
  readonly timestamp?: number;
  /** Replaces the computed signature ('' sends none). */
  readonly signature?: string;
  readonly secret?: string;
  readonly headers?: Record<string, string>;
}

/** `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{body}`, as Slack signs requests. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs a signed request to the bot's /slack/events. */
export async function sendToSlackEvents(
  botUrl: string,
  body: string,
  contentType: string,
  options: SendOptions = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? sign(options.secret ?? SIGNING_SECRET, timestamp, body);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    ...(signature ? { 'x-slack-signature': signature } : {}),
    ...options.headers,
  };
  const response = await fetch(`${botUrl}/slack/events`, { method: 'POST', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** An interaction (block_actions, view_submission) as Slack sends it: JSON in a `payload` form field. */
export function interaction(botUrl: string, payload: object, options?: SendOptions) {
  return sendToSlackEvents(
    botUrl,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    'application/x-www-form-urlencoded',
    options,
  );
}

const triggerId = () => `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;

/** What every interaction payload starts with; each gets its own trigger id, as from Slack. */
const interactionOf = (type: string, user: SlackUser) => ({
  type,
  api_app_id: 'A0001',
  token: 'verification-token',
  trigger_id: triggerId(),
  team: { id: 'T0001', domain: 'ops' },
  user: { id: user.id, username: user.name, name: user.name, team_id: 'T0001' },
});

/** The answer that keeps a modal open with `message` under its notes field. */
export const modalError = (message: string) => ({ response_action: 'errors', errors: { notes: message } });

/** A click on one of the message's buttons. */
export function blockActions(user: SlackUser, actionId: string, approvalId: string, messageTs: string) {
  return {
    ...interactionOf('block_actions', user),
    response_url: 'http://127.0.0.1:9/never-used',
    container: { type: 'message', message_ts: messageTs, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'alerts' },
    message: { type: 'message', ts: messageTs, text: 'Approval needed', blocks: [] },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'healgate_decide',
        value: approvalId,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

/** The submission of the modal the bot opened (its `view` as given to views.open), with notes typed in. */
export function viewSubmission(
  user: SlackUser,
  view: { callback_id: string; private_metadata: string },
  notes: string,
) {
  return {
    ...interactionOf('view_submission', user),
    view: {
      id: 'VMODAL1',
      type: 'modal',
      team_id: 'T0001',
      app_id: 'A0001',
      bot_id: 'BHEALGATE',
      hash: '1700000000.abcdef',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values: { notes: { notes: { type: 'plain_text_input', value: notes || null } } } },
      title: { type: 'plain_text', text: 'Approve request' },
      blocks: [],
    },
    response_urls: [],
  };
}

/** A slash command's form fields. */
export function slashCommand(user: SlackUser, command: string, text: string, responseUrl: string) {
  return {
    token: 'verification-token',
    team_id: 'T0001',
    team_domain: 'ops',
    channel_id: CHANNEL,
    channel_name: 'alerts',
    user_id: user.id,
    user_name: user.name,
    command,
    text,
    api_app_id: 'A0001',
    response_url: responseUrl,
    trigger_id: triggerId(),
  };
}

export function command(botUrl: string, fields: Record<string, string>, options?: SendOptions) {
  return sendToSlackEvents(
    botUrl,
    new URLSearchParams(fields).toString(),
    'application/x-www-form-urlencoded',
    options,
  );
}
