import type {
  AllMiddlewareArgs,
  AnyMiddlewareArgs,
  App,
  RespondFn,
  ViewResponseAction,
  ViewSubmitAction,
  webApi,
} from '@slack/bolt';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import { COMMAND_NAMES } from '../../src/chat/commands.js';
import { STORE_DOWN, type ChatServices } from '../../src/chat/services.js';
import type { ThreadedDelivery } from '../../src/chat/threads.js';
import { decisionLine, refusalText } from '../../src/chat/view/approval.js';
import { commandDoc } from '../../src/chat/view/reply.js';
import type { Logger } from '../../src/log.js';
import {
  APPROVE_ACTION,
  BULK_APPROVE_ACTION,
  BULK_REJECT_ACTION,
  REJECT_ACTION,
  slackText,
  toSlack,
} from './blocks.js';
import type { Verdict } from '../../src/approvals/service.js';
import {
  BULK_CALLBACK,
  DECISION_CALLBACK,
  EXCEPT_BLOCK,
  NOTES_BLOCK,
  ONLY_BLOCK,
  bulkMetadataSchema,
  bulkModal,
  decisionModal,
  metadataSchema,
} from './modal.js';
import {
  blockActionSchema,
  type BlockAction,
  inputOf,
  notesOf,
  principal,
  slashCommandSchema,
  viewSubmissionSchema,
} from './payloads.js';
import { bulkSummary } from '../../src/chat/view/group.js';
import { parseHostList } from '../../src/groups/rule.js';
import type { SlackRef } from './surface.js';

export interface InteractionDeps {
  readonly services: ChatServices;
  readonly delivery: ThreadedDelivery<SlackRef>;
  readonly logger: Logger;
  /** False while Redis is unreachable: a decision then fails at once instead of waiting for it. */
}

/** A delivery Slack repeats (a retry of an event or interaction) carries the same id for this long. */
const DELIVERY_CLAIM_S = 3600;
/** A second click on the same button of a request by the same person within this opens no second modal. */
const CLICK_CLAIM_S = 3;
// Redis commands wait for a reconnect, Slack waits 3 s: while Redis is away, a clear refusal at once.

/**
 * What people do in Slack: a button click opens the notes modal, its
 * submission decides through the approval service, and /diagnose and
 * /audit answer from the chat services. Every listener acks in all cases;
 * for clicks and submissions the ack (the HTTP response) follows the work,
 * so what it says is the outcome.
 */
export function registerInteractions(app: App, deps: InteractionDeps): void {
  app.use(onceOnly(deps));
  app.action(APPROVE_ACTION, ({ ack, body, client }) => onClick(deps, 'approve', body, ack, client));
  app.action(REJECT_ACTION, ({ ack, body, client }) => onClick(deps, 'reject', body, ack, client));
  app.view<ViewSubmitAction>({ callback_id: DECISION_CALLBACK, type: 'view_submission' }, ({ ack, body }) =>
    onSubmit(deps, body, ack),
  );
  app.action(BULK_APPROVE_ACTION, ({ ack, body, client }) => onBulkClick(deps, 'approve', body, ack, client));
  app.action(BULK_REJECT_ACTION, ({ ack, body, client }) => onBulkClick(deps, 'reject', body, ack, client));
  app.view<ViewSubmitAction>({ callback_id: BULK_CALLBACK, type: 'view_submission' }, ({ ack, body, client }) =>
    onBulkSubmit(deps, body, ack, client),
  );
  for (const name of COMMAND_NAMES)
    app.command(`/${name}`, ({ ack, body, respond }) => onCommand(deps, name, body, ack, respond));
}

/**
 * Slack repeats a delivery it thinks was lost (X-Slack-Retry-Num); the repeat is acknowledged and dropped,
 * unless the first attempt failed.
 */
function onceOnly(deps: InteractionDeps) {
  return async (args: AnyMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    // Without Redis there is nothing to claim; every listener refuses on its own.
    if (!deps.services.storeReady()) return args.next();
    const body = args.body as Record<string, unknown>;
    const id = typeof body.event_id === 'string' ? body.event_id : body.trigger_id;
    const claim = typeof id === 'string' ? `delivery:${id}` : undefined;
    if (claim && !(await deps.services.refs.claim('slack', claim, DELIVERY_CLAIM_S))) {
      deps.logger.info({ delivery: id, retry: args.context.retryNum }, 'dropped a repeated Slack delivery');
      if ('ack' in args && typeof args.ack === 'function') await args.ack();
      return;
    }
    try {
      await args.next();
    } catch (err) {
      // The work failed: Slack's next retry of this delivery is redone, not dropped as a repeat.
      if (claim) await deps.services.refs.release('slack', claim).catch(() => undefined);
      throw err;
    }
  };
}

/** Shows the request as it is now (buttons gone once decided), without waiting for the notifier. */
async function refresh(deps: InteractionDeps, approval: ApprovalRecord): Promise<void> {
  try {
    await deps.delivery.deliver({ kind: 'event', event: { type: 'approval.decided', approval } });
  } catch (err) {
    deps.logger.warn({ err, approval: approval.id }, 'could not update the Slack message; the notifier will');
  }
}

/** A button click as both kinds of button need it: who, where, and how to tell them something only they see. */
interface Click {
  readonly click: BlockAction;
  /** The button's value: an approval or a storm group id. */
  readonly id: string;
  readonly channel: string;
  readonly ts: string;
  readonly tell: (text: string) => Promise<unknown>;
}

/**
 * A button click: parsed, refused at once while Redis is away, taken once per
 * person and choice (a double click opens one form), and acknowledged in all
 * cases after `then` has run.
 */
async function handleClick(
  deps: InteractionDeps,
  choice: Verdict,
  rawBody: unknown,
  ack: () => Promise<void>,
  client: webApi.WebClient,
  then: (c: Click) => Promise<void>,
): Promise<void> {
  const parsed = blockActionSchema.safeParse(rawBody);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues }, 'ignored a malformed Slack button click');
    return ack();
  }
  const click = parsed.data;
  const id = click.actions[0]!.value ?? '';
  const channel = click.channel?.id ?? click.container?.channel_id ?? '';
  const ts = click.message?.ts ?? click.container?.message_ts ?? '';
  const tell = (text: string) =>
    channel ? client.chat.postEphemeral({ channel, user: click.user.id, text }) : Promise.resolve();
  try {
    if (!deps.services.storeReady()) return void (await tell(STORE_DOWN));
    if (!(await deps.services.refs.claim('slack', `click:${id}:${click.user.id}:${choice}`, CLICK_CLAIM_S))) return;
    await then({ click, id, channel, ts, tell });
  } finally {
    await ack();
  }
}

function onClick(
  deps: InteractionDeps,
  choice: Verdict,
  rawBody: unknown,
  ack: () => Promise<void>,
  client: webApi.WebClient,
): Promise<void> {
  return handleClick(deps, choice, rawBody, ack, client, async ({ click, id, channel, ts, tell }) => {
    const record = await deps.services.approvals.get(id);
    if (!record) return void (await tell(`There is no approval request ${id.slice(0, 40)}.`));
    if (record.status !== 'pending') {
      await tell(`${slackText(decisionLine(record))}.`);
      return refresh(deps, record);
    }
    // No form for someone whose decision would be refused: they learn why, and who may, now.
    const allowed = deps.services.approvals.mayDecide(record, principal(click.user));
    if (!allowed.ok) return void (await tell(slackText(refusalText(allowed))));
    await openForm(deps, client, click.trigger_id, decisionModal(record, { id, choice, channel, ts }), tell);
  });
}

async function onSubmit(
  deps: InteractionDeps,
  rawBody: unknown,
  ack: (response?: ViewResponseAction) => Promise<void>,
): Promise<void> {
  const refuse = (message: string) => ack({ response_action: 'errors', errors: { [NOTES_BLOCK]: message } });
  const parsed = viewSubmissionSchema.safeParse(rawBody);
  const meta = parsed.success ? metadataSchema.safeParse(parseJson(parsed.data.view.private_metadata)) : undefined;
  if (!parsed.success || !meta?.success) {
    deps.logger.warn('ignored a malformed Slack modal submission');
    return refuse('This form could not be read; close it and click the button on the message again.');
  }
  const { id, choice } = meta.data;
  const who = principal(parsed.data.user);
  await deps.services.names.remember(who).catch(() => undefined);
  const notes = notesOf(parsed.data.view);
  // Redis commands wait for a reconnect; Slack waits 3 s. Better a clear refusal than a decision landing later.
  if (!deps.services.storeReady()) return refuse(STORE_DOWN);
  const { approvals } = deps.services;
  let result;
  try {
    result = await approvals.answer(id, choice, who, notes);
  } catch (err) {
    deps.logger.error({ err, approval: id }, 'could not record a Slack decision');
    return refuse(
      'Something went wrong recording your decision. Submit again: a decision that went through is not taken twice.',
    );
  }
  if (!result.ok) {
    await refuse(result.message);
    if (result.approval && result.approval.status !== 'pending') await refresh(deps, result.approval);
    return;
  }
  await ack();
  await refresh(deps, result.approval);
}

/** Opens a click's form; a trigger lives 3 s, so a slow Slack or a slow click is told to click again. */
async function openForm(
  deps: InteractionDeps,
  client: webApi.WebClient,
  triggerId: string,
  view: Parameters<webApi.WebClient['views']['open']>[0]['view'],
  tell: (text: string) => Promise<unknown>,
): Promise<void> {
  try {
    await client.views.open({ trigger_id: triggerId, view });
  } catch (err) {
    deps.logger.warn({ err, form: view.callback_id }, 'could not open a Slack form');
    await tell('The form could not be opened; click the button again.');
  }
}

/** Approve all / Reject all on a storm's group message: the bulk form, when anything still waits. */
function onBulkClick(
  deps: InteractionDeps,
  choice: Verdict,
  rawBody: unknown,
  ack: () => Promise<void>,
  client: webApi.WebClient,
): Promise<void> {
  return handleClick(deps, choice, rawBody, ack, client, async ({ click, id, channel, ts, tell }) => {
    const group = await deps.services.groups.view(id);
    if (!group) return void (await tell(`There is no storm group ${id.slice(0, 40)}.`));
    const meta = bulkMetadataSchema.safeParse({ id, choice, channel, ts });
    if (!meta.success) return void (await tell('This button could not be read.'));
    await openForm(deps, client, click.trigger_id, bulkModal(group, meta.data), tell);
  });
}

/**
 * The bulk form's submission. A storm's few hundred decisions take longer
 * than the 3 s Slack waits for the answer: the form closes at once and the
 * tally follows as a message only the decider sees.
 */
async function onBulkSubmit(
  deps: InteractionDeps,
  rawBody: unknown,
  ack: (response?: ViewResponseAction) => Promise<void>,
  client: webApi.WebClient,
): Promise<void> {
  const refuse = (message: string) => ack({ response_action: 'errors', errors: { [NOTES_BLOCK]: message } });
  const parsed = viewSubmissionSchema.safeParse(rawBody);
  const meta = parsed.success ? bulkMetadataSchema.safeParse(parseJson(parsed.data.view.private_metadata)) : undefined;
  if (!parsed.success || !meta?.success) {
    deps.logger.warn('ignored a malformed Slack bulk submission');
    return refuse('This form could not be read; close it and click the button on the message again.');
  }
  const { id, choice, channel } = meta.data;
  const view = parsed.data.view;
  const notes = notesOf(view);
  if (!deps.services.storeReady()) return refuse(STORE_DOWN);
  if (choice === 'reject' && notes.trim() === '') return refuse('A rejection needs notes: say why.');
  await ack();
  const who = principal(parsed.data.user);
  await deps.services.names.remember(who).catch(() => undefined);
  const selection = {
    only: parseHostList(inputOf(view, ONLY_BLOCK)),
    except: parseHostList(inputOf(view, EXCEPT_BLOCK)),
  };
  let text: string;
  try {
    const outcome = await deps.services.decideGroup(id, choice, who, notes, selection);
    text = outcome.ok ? bulkSummary(outcome.result) : outcome.message;
    const group = await deps.services.groups.view(id);
    if (group) await deps.delivery.deliver({ kind: 'group', group });
  } catch (err) {
    deps.logger.error({ err, group: id }, 'a Slack bulk decision failed part-way');
    text = 'Something went wrong part-way; click again: what was decided stays decided, and the rest is decided then.';
  }
  if (channel)
    await client.chat.postEphemeral({ channel, user: who.userId, text }).catch((err: unknown) => {
      deps.logger.warn({ err, group: id }, 'could not tell the decider the tally');
    });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function onCommand(
  deps: InteractionDeps,
  name: string,
  rawBody: unknown,
  ack: () => Promise<void>,
  respond: RespondFn,
): Promise<void> {
  // Slack waits 3 s for the ack; a diagnosis may take longer, so the answer follows on its own.
  await ack();
  const parsed = slashCommandSchema.safeParse(rawBody);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues }, 'ignored a malformed Slack slash command');
    return;
  }
  if (!deps.services.storeReady()) {
    await respond({ response_type: 'ephemeral', text: STORE_DOWN });
    return;
  }
  try {
    const reply = await deps.services.command(name, parsed.data.text);
    if (reply.kind === 'usage') await respond({ response_type: 'ephemeral', text: reply.message });
    else {
      const { text, blocks } = toSlack(commandDoc(reply, deps.services.policy));
      await respond({ response_type: 'in_channel', text, blocks: [...blocks] });
    }
  } catch (err) {
    deps.logger.error({ err, command: name }, 'a Slack command failed');
    await respond({
      response_type: 'ephemeral',
      text: `/${name} failed: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}
