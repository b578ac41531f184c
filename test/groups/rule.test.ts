import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide/decide.js';
import { advance, bulkTargets, groupKind, latestPerHost, parseHostList, resolveOne } from '../../src/groups/rule.js';
import type { GroupMember, GroupView } from '../../src/groups/types.js';
import { shipped, snapshot } from '../helpers/core.js';

const { classifier, policy } = await shipped();

function member(host: string, over: Partial<GroupMember> = {}): GroupMember {
  return {
    key: `inc-${host}`,
    host,
    state: 'held',
    incident_ids: [`inc-${host}`],
    resolved_ids: [],
    approval_id: `apr-${host}`,
    held_by: 'breaker_fleet',
    expires_at: null,
    values: [{ signal: 'disk_usage', value: 97 }],
    joined: 0,
    ...over,
  };
}
const group = (members: GroupMember[]): GroupView => ({
  id: 'grp-0000000000000000',
  kind: 'disk_usage/disk_cleanup',
  signals: ['disk_usage'],
  actions: ['disk_cleanup'],
  opened_at: '2026-12-04T10:00:00.000Z',
  members,
});

describe('groupKind', () => {
  it('is the first fired signal and its actions: a host also short of memory joins the disk storm', () => {
    const disk = decide(snapshot({ disk_usage: 97 }), classifier, policy);
    const both = decide(snapshot({ disk_usage: 97, memory_usage: 97 }), classifier, policy);
    expect(groupKind(disk, ['signal', 'action']).kind).toBe('disk_usage/disk_cleanup');
    expect(groupKind(both, ['signal', 'action']).kind).toBe('disk_usage/disk_cleanup');
    expect(groupKind(both, ['action']).kind).toBe('*/disk_cleanup');
  });
});

describe('a member', () => {
  it('is resolved once every incident it stands for is', () => {
    const two = member('h', { state: 'healing', incident_ids: ['a', 'b'] });
    const half = resolveOne(two, 'a');
    expect(half).toMatchObject({ state: 'healing', resolved_ids: ['a'] });
    expect(resolveOne(half, 'b').state).toBe('resolved');
  });

  it('does not leave a final state for older news, but can be held again', () => {
    const resolved = advance(member('h'), 'resolved');
    expect(advance(resolved, 'healed')).toBe(resolved);
    expect(advance(resolved, 'held').state).toBe('held');
  });
});

describe('bulkTargets', () => {
  const g = group([member('a'), member('b'), member('c'), member('d', { approval_id: null, state: 'healing' })]);

  it('is every host that was held, narrowed by only and except, naming hosts not in the group', () => {
    expect(bulkTargets(g, { only: [], except: [] }).targets.map((m) => m.host)).toEqual(['a', 'b', 'c']);
    const picked = bulkTargets(g, { only: ['a', 'b', 'zz'], except: ['b'] });
    expect(picked.targets.map((m) => m.host)).toEqual(['a']);
    expect(picked.leftOut).toEqual(['b', 'c']);
    expect(picked.unknown).toEqual(['zz']);
  });

  it('counts a host that flapped once, as it stands now', () => {
    const flapped = group([
      member('a', { key: 'old', approval_id: 'apr-old' }),
      member('a', { key: 'new', joined: 1 }),
    ]);
    expect(latestPerHost(flapped).map((m) => m.key)).toEqual(['new']);
  });
});

it('parseHostList reads names separated by commas, spaces or lines, once each', () => {
  expect(parseHostList('web-1, web-2\nweb-3  web-1')).toEqual(['web-1', 'web-2', 'web-3']);
  expect(parseHostList('  ')).toEqual([]);
});
