import { z } from 'zod';
import type { Principal } from '../../src/core/policy/approvers.js';
import { NOTES_ACTION, NOTES_BLOCK } from './modal.js';

/**
 * The parts of Slack's payloads healgate acts on, validated: a payload
 * that does not fit is acknowledged and ignored, never half-handled.
 */
const user = z.object({ id: z.string().min(1), name: z.string().optional(), username: z.string().optional() });

export const blockActionSchema = z.object({
  type: z.literal('block_actions'),
  trigger_id: z.string().min(1),
  user,
  channel: z.object({ id: z.string().min(1) }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string().min(1) }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});
export type BlockAction = z.infer<typeof blockActionSchema>;

export const viewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user,
  view: z.object({
    id: z.string().min(1),
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});
export type ViewSubmission = z.infer<typeof viewSubmissionSchema>;

export const slashCommandSchema = z.object({
  command: z.string().regex(/^\/[a-z_-]+$/),
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  response_url: z.url(),
});

export function principal(u: z.infer<typeof user>): Principal {
  const displayName = u.name ?? u.username;
  return { platform: 'slack', userId: u.id, ...(displayName ? { displayName } : {}) };
}

export function notesOf(view: ViewSubmission['view']): string {
  return inputOf(view, NOTES_BLOCK, NOTES_ACTION);
}

/** A text input's value; an input block's action id is its block id unless named otherwise. */
export function inputOf(view: ViewSubmission['view'], block: string, action = block): string {
  return view.state.values[block]?.[action]?.value ?? '';
}
