import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Decision } from '../core/decide/types.js';
import type { HealgateEvent } from '../events/types.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import { advance, groupKind, resolveOne, type GroupBy } from './rule.js';
import type { GroupKind, GroupMember, GroupView, MemberState } from './types.js';

/** Groups outlive every request in them (30m by default) and most results. */
const GROUP_TTL_S = 7 * 86_400;
const GROUP_ID = /^grp-[0-9a-f]{16}$/;

const memberSchema = z.object({
  key: z.string(),
  host: z.string(),
  state: z.enum([
    'healing',
    'noticed',
    'held',
    'approved',
    'rejected',
    'expired',
    'healed',
    'failed',
    'unknown',
    'withdrawn',
    'resolved',
  ]),
  incident_ids: z.array(z.string()),
  resolved_ids: z.array(z.string()).default([]),
  approval_id: z.string().nullable(),
  held_by: z.string().nullable(),
  expires_at: z.string().nullable(),
  values: z.array(z.object({ signal: z.string(), value: z.number() })),
  joined: z.number(),
});
const describedSchema = z.object({
  kind: z.string(),
  signals: z.array(z.string()),
  actions: z.array(z.string()),
  opened_at: z.string(),
});

export interface GroupSettings {
  readonly by: GroupBy;
  readonly intervalMs: number;
}

/** Where a subject (an incident or approval id) stands: its group and its member there. */
interface Place {
  readonly group: string;
  readonly member: string;
}

/**
 * The storm groups in Redis. The notifier (one replica at a time, by its
 * lease) applies events to them in stream order; any replica reads them to
 * draw a group message or to decide its held hosts in bulk.
 */
export class GroupBook {
  constructor(
    private readonly redis: Redis,
    private readonly settings: GroupSettings,
  ) {}

  /** The group an event touched, with its size after it; undefined for events that belong to none. */
  async apply(event: HealgateEvent, eventId: string, at: number): Promise<{ id: string; size: number } | undefined> {
    switch (event.type) {
      case 'incident.opened':
        return this.join(
          event.decision,
          {
            key: event.incident_ids.join('+'),
            host: event.host,
            state: event.actions.length > 0 ? 'healing' : 'noticed',
            incident_ids: event.incident_ids,
            resolved_ids: [],
            approval_id: null,
            held_by: null,
            expires_at: null,
            values: valuesOf(event.decision),
            joined: at,
          },
          eventId,
        );
      case 'approval.requested': {
        const a = event.approval;
        const patch = { approval_id: a.id, held_by: a.decision.rule, expires_at: a.expires_at };
        const place = await this.placeOf([...a.incident_ids, a.id]);
        if (place) return this.change(place, (m) => advance(m, 'held', patch));
        // A person's request (a firewall change) is one change to decide on its own, not part of a storm.
        if (a.incident_ids.length === 0) return undefined;
        return this.join(
          a.decision,
          {
            key: a.incident_ids.join('+'),
            host: a.host,
            state: 'held',
            incident_ids: a.incident_ids,
            resolved_ids: [],
            values: valuesOf(a.decision),
            joined: at,
            ...patch,
          },
          eventId,
          [a.id],
        );
      }
      case 'approval.decided': {
        const place = await this.placeOf([event.approval.id]);
        const status = event.approval.status;
        return place && status !== 'pending' ? this.change(place, (m) => advance(m, status)) : undefined;
      }
      case 'action.result': {
        const place = await this.placeOf(event.approval_id ? [event.approval_id] : event.incident_ids);
        const state: MemberState =
          event.outcome === 'failure' ? 'failed' : event.outcome === 'unknown' ? 'unknown' : 'healed';
        return place ? this.change(place, (m) => advance(m, state)) : undefined;
      }
      case 'action.withdrawn': {
        const place = await this.placeOf(event.incident_ids);
        return place ? this.change(place, (m) => advance(m, 'withdrawn')) : undefined;
      }
      case 'incident.resolved': {
        const place = await this.placeOf([event.incident_id]);
        if (!place) return undefined;
        return this.change(place, (m) => resolveOne(m, event.incident_id));
      }
      default:
        return undefined;
    }
  }

  /** The id of the group a subject (incident or approval id) belongs to. */
  async groupOf(subject: string): Promise<string | undefined> {
    return (await this.placeOf([subject]))?.group;
  }

  async view(id: string): Promise<GroupView | undefined> {
    if (!GROUP_ID.test(id)) return undefined;
    const [described, members] = await Promise.all([
      this.redis.get(keys.group(id)),
      this.redis.hgetall(keys.groupMembers(id)),
    ]);
    const d = describedSchema.safeParse(parse(described));
    if (!d.success) return undefined;
    const list: GroupMember[] = [];
    for (const raw of Object.values(members)) {
      const m = memberSchema.safeParse(parse(raw));
      if (m.success) list.push(m.data);
    }
    return { id, ...d.data, members: list.sort((a, b) => a.joined - b.joined || a.key.localeCompare(b.key)) };
  }

  async size(id: string): Promise<number> {
    return this.redis.hlen(keys.groupMembers(id));
  }

  private async join(
    decision: Decision,
    member: GroupMember,
    eventId: string,
    subjects: readonly string[] = [],
  ): Promise<{ id: string; size: number }> {
    const kind: GroupKind = groupKind(decision, this.settings.by);
    const id = `grp-${createHash('sha256').update(`${kind.kind}\n${eventId}`).digest('hex').slice(0, 16)}`;
    const described = { ...kind, opened_at: new Date(member.joined).toISOString() };
    const script = await LuaScript.load('group-join');
    const [group, size] = (await script.run(
      this.redis,
      [keys.groupOpen(kind.kind)],
      [
        keys.groupPrefix,
        id,
        this.settings.intervalMs,
        JSON.stringify(described),
        member.key,
        JSON.stringify(member),
        GROUP_TTL_S,
        ...member.incident_ids,
        ...subjects,
      ],
    )) as [string, number];
    return { id: group, size };
  }

  /** The member as `next` makes it, written back only when it changed. */
  private async change(place: Place, next: (m: GroupMember) => GroupMember): Promise<{ id: string; size: number }> {
    const field = keys.groupMembers(place.group);
    const current = memberSchema.safeParse(parse(await this.redis.hget(field, place.member)));
    if (current.success) {
      const changed = next(current.data);
      if (changed !== current.data) await this.redis.hset(field, place.member, JSON.stringify(changed));
    }
    return { id: place.group, size: await this.size(place.group) };
  }

  private async placeOf(subjects: readonly string[]): Promise<Place | undefined> {
    for (const subject of subjects) {
      const where = await this.redis.get(keys.groupOf(subject));
      const [group, member] = where?.split(' ') ?? [];
      if (group && member) return { group, member };
    }
    return undefined;
  }
}

function valuesOf(decision: Decision): { signal: string; value: number }[] {
  return decision.signals.map((s) => ({ signal: s.signal, value: s.value }));
}

function parse(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
