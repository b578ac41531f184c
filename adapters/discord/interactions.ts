import {
  GuildMember,
  MessageFlags,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type ModalSubmitInteraction,
  type RepliableInteraction,
} from 'discord.js';
import { z } from 'zod';
import { STORE_DOWN, type ChatServices } from '../../src/chat/services.js';
import { decisionLine, refusalText } from '../../src/chat/view/approval.js';
import { commandDoc } from '../../src/chat/view/reply.js';
import type { Principal } from '../../src/core/policy/approvers.js';
import type { Logger } from '../../src/log.js';
import { commandText, hostChoices } from './commands.js';
import { parseBulkId, parseDecisionId, type BulkTarget } from './custom-ids.js';
import { bulkSummary } from '../../src/chat/view/group.js';
import { parseHostList } from '../../src/groups/rule.js';
import { cut } from '../../src/chat/view/doc.js';
import { discordText, toEmbed } from './embeds.js';
import { NOTES_MAX } from '../../src/approvals/service.js';
import { EXCEPT_INPUT, NOTES_INPUT, ONLY_INPUT, bulkModal, notesModal } from './modal.js';

/** An interaction token is valid for 15 minutes; a replay after that cannot be answered anyway. */
const CLAIM_TTL_S = 15 * 60;

const notesSchema = z.string().max(NOTES_MAX * 2);
const hostsSchema = z.string().max(6000);

/** Who clicked or typed, as the approval rules know people: user id, name, and role ids in this guild. */
function principalOf(i: Interaction): Principal {
  const member = i.member;
  const roles = member instanceof GuildMember ? [...member.roles.cache.keys()] : member?.roles;
  const nick = member instanceof GuildMember ? member.displayName : member?.nick;
  return {
    platform: 'discord',
    userId: i.user.id,
    displayName: nick ?? i.user.globalName ?? i.user.username,
    ...(roles ? { roles } : {}),
  };
}

function textInput(i: ModalSubmitInteraction, customId: string): unknown {
  const field = i.fields.fields.get(customId);
  return field && 'value' in field ? field.value : undefined;
}

function ephemeral(i: RepliableInteraction, content: string): Promise<unknown> {
  const message = { content: cut(content, 2000), allowedMentions: { parse: [] } };
  return i.deferred || i.replied
    ? i.followUp({ ...message, flags: MessageFlags.Ephemeral })
    : i.reply({ ...message, flags: MessageFlags.Ephemeral });
}

/**
 * Everything people do in Discord: Approve / Reject buttons open the notes
 * modal, its submit goes to the approval service, slash commands answer
 * from the chat services. Every refusal is an ephemeral reply to the one
 * person who acted.
 */
export class InteractionHandler {
  constructor(
    private readonly services: ChatServices,
    private readonly logger: Logger,
  ) {}

  async handle(i: Interaction): Promise<void> {
    try {
      // Discord waits 3 s for an answer: better a clear refusal than a decision landing later.
      if (!this.services.storeReady()) {
        if (i.isRepliable()) await ephemeral(i, STORE_DOWN);
        return;
      }
      // Every replica logged in with this token receives every interaction, and
      // a resumed session may replay one: whoever claims it first answers it.
      if (!(await this.services.refs.claim('discord', `interaction:${i.id}`, CLAIM_TTL_S))) return;
      if (i.isButton()) await this.button(i);
      else if (i.isModalSubmit()) await this.submit(i);
      else if (i.isChatInputCommand()) await this.command(i);
      else if (i.isAutocomplete()) await this.autocomplete(i);
    } catch (err) {
      this.logger.error({ err, interaction: i.id, type: i.type }, 'discord: an interaction failed');
      // A command that failed after its public "thinking…" placeholder: take the placeholder down too.
      if (i.isRepliable() && i.deferred) await i.deleteReply().catch(() => {});
      if (i.isRepliable())
        await ephemeral(
          i,
          'Something went wrong on our side: try again, or see the request message for its current state.',
        ).catch(() => {});
    }
  }

  private async button(i: ButtonInteraction): Promise<void> {
    const bulk = parseBulkId(i.customId);
    if (bulk) {
      const group = await this.services.groups.view(bulk.groupId);
      if (!group) await ephemeral(i, `There is no storm group ${bulk.groupId}.`);
      else await i.showModal(bulkModal(bulk.verb, group));
      return;
    }
    const target = parseDecisionId(i.customId);
    if (!target) {
      await ephemeral(i, 'This button is not one healgate knows.');
      return;
    }
    const record = await this.services.approvals.get(target.approvalId);
    if (!record) return void (await ephemeral(i, `There is no approval request ${target.approvalId}.`));
    if (record.status !== 'pending')
      return void (await ephemeral(i, `Already decided: ${discordText(decisionLine(record))}.`));
    // No form for someone whose decision would be refused: they learn why, and who may, now.
    const allowed = this.services.approvals.mayDecide(record, principalOf(i));
    if (!allowed.ok) await ephemeral(i, discordText(refusalText(allowed)));
    else await i.showModal(notesModal(target.verb, record));
  }

  /**
   * The bulk form's submit: a storm's few hundred decisions outlast the 3 s
   * Discord waits, so the answer is deferred (privately) and the tally
   * follows in it.
   */
  private async bulkSubmit(i: ModalSubmitInteraction, target: BulkTarget): Promise<void> {
    const notes = notesSchema.safeParse(textInput(i, NOTES_INPUT));
    const only = hostsSchema.safeParse(textInput(i, ONLY_INPUT) ?? '');
    const except = hostsSchema.safeParse(textInput(i, EXCEPT_INPUT) ?? '');
    if (!notes.success || !only.success || !except.success) {
      await ephemeral(i, 'This form could not be read, or a field is too long; nothing was changed.');
      return;
    }
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const who = principalOf(i);
    await this.services.names.remember(who).catch(() => undefined);
    const selection = { only: parseHostList(only.data), except: parseHostList(except.data) };
    const outcome = await this.services.decideGroup(target.groupId, target.verb, who, notes.data, selection);
    await i.editReply({
      content: cut(outcome.ok ? bulkSummary(outcome.result) : outcome.message, 2000),
      allowedMentions: { parse: [] },
    });
  }

  private async submit(i: ModalSubmitInteraction): Promise<void> {
    const bulk = parseBulkId(i.customId);
    if (bulk) return this.bulkSubmit(i, bulk);
    const target = parseDecisionId(i.customId);
    const notes = notesSchema.safeParse(textInput(i, NOTES_INPUT));
    if (!target || !notes.success) {
      await ephemeral(i, 'This form is not one healgate knows, or its notes are too long; nothing was changed.');
      return;
    }
    const who = principalOf(i);
    await this.services.names.remember(who).catch(() => undefined);
    const { approvals } = this.services;
    const result = await approvals.answer(target.approvalId, target.verb, who, notes.data);
    if (!result.ok) {
      await ephemeral(i, result.message);
      return;
    }
    const { approval } = result;
    const what = `${approval.actions.map((a) => a.id).join(', ')} on ${approval.host}`;
    await ephemeral(
      i,
      approval.status === 'approved'
        ? `Approved ${what}. It is queued${this.services.executionMode === 'dry-run' ? ' (dry-run)' : ''}; the result will be posted under the request.`
        : `Rejected ${what}; nothing will run.`,
    );
  }

  private async command(i: ChatInputCommandInteraction): Promise<void> {
    const input = commandText(i.commandName, i.options.data);
    // A mistake is answered to the one who typed it only, before any public "thinking…".
    if ('usage' in input) return void (await ephemeral(i, input.usage));
    const usage = await this.services.usage(input.name, input.text);
    if (usage !== undefined) return void (await ephemeral(i, usage));
    // A diagnosis may wait for the host's agent: acknowledge now, answer when it is there.
    await i.deferReply();
    const reply = await this.services.command(input.name, input.text);
    if (reply.kind === 'usage') {
      await i.deleteReply();
      await ephemeral(i, reply.message);
      return;
    }
    await i.editReply({ embeds: [toEmbed(commandDoc(reply, this.services.policy))], allowedMentions: { parse: [] } });
  }

  private async autocomplete(i: AutocompleteInteraction): Promise<void> {
    const focused = i.options.getFocused(true);
    const hosts = focused.name === 'host' ? await this.services.hosts() : [];
    await i.respond(hostChoices(hosts, focused.value));
  }
}
