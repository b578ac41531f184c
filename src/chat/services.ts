import type { Redis } from 'ioredis';
import type { ApprovalService, Verdict } from '../approvals/service.js';
import type { Principal } from '../core/policy/approvers.js';
import type { GroupBook } from '../groups/book.js';
import { decideGroup, type BulkOutcome, type BulkSelection } from '../groups/bulk.js';
import type { AuditLog } from '../audit/index.js';
import type { ExecutionMode } from '../config/types.js';
import type { Policy } from '../core/policy/policy.js';
import type { Diagnoser } from '../diagnose/types.js';
import { readHistory, readSources } from '../pipeline/host-read.js';
import type { SignalViews } from '../core/signals/merge.js';
import type { HistoryPoint } from '../pipeline/host-state.js';
import { keys } from '../redis/keys.js';
import { checkCommand, runCommand, type CommandReply } from './commands.js';
import { PeopleNames } from './names.js';
import { MessageRefs } from './refs.js';

/** What chat adapters call: the same governed workflow whatever the platform. */
export interface ChatServices {
  readonly approvals: ApprovalService;
  readonly diagnoser: Diagnoser;
  readonly audit: AuditLog;
  readonly refs: MessageRefs;
  /** Storm groups: their members, for group messages. */
  readonly groups: GroupBook;
  /** Approve all / Reject all on a storm's group message: each held host's own request, decided by `who`. */
  decideGroup(
    id: string,
    verdict: Verdict,
    who: Principal,
    notes: string,
    selection: BulkSelection,
  ): Promise<BulkOutcome>;
  readonly names: PeopleNames;
  readonly policy: Policy;
  readonly executionMode: ExecutionMode;
  readonly now: () => Date;
  /** Known hosts, most recently seen first (autocomplete, the console). */
  hosts(): Promise<string[]>;
  /** Where each of a host's signals came from (an alert, the agent, a push), if it is known. */
  sources(host: string): Promise<SignalViews | null>;
  /** A host's recent history, oldest first. */
  history(host: string): Promise<HistoryPoint[]>;
  /** `/diagnose …` or `/audit …` as typed: `name` without the slash, `text` the rest. */
  command(name: string, text: string): Promise<CommandReply>;
  /** The usage answer a command would get before running, or undefined when it would run. */
  usage(name: string, text: string): Promise<string | undefined>;
  /**
   * False while Redis is unreachable. Commands then wait for it to come back,
   * past a platform's few seconds to answer, and a decision would land later
   * unseen: adapters refuse with STORE_DOWN instead.
   */
  storeReady(): boolean;
}

export const STORE_DOWN = 'healgate cannot reach its Redis right now; nothing changed. Try again shortly.';

export interface ChatServiceDeps {
  readonly redis: Redis;
  readonly groups: GroupBook;
  readonly approvals: ApprovalService;
  readonly diagnoser: Diagnoser;
  readonly audit: AuditLog;
  readonly policy: Policy;
  readonly executionMode: ExecutionMode;
  readonly now: () => Date;
}

export function createChatServices(deps: ChatServiceDeps): ChatServices {
  const { redis } = deps;
  const commandDeps = { ...deps, knownHost: async (host: string) => (await redis.zscore(keys.hosts, host)) !== null };
  return {
    approvals: deps.approvals,
    diagnoser: deps.diagnoser,
    audit: deps.audit,
    refs: new MessageRefs(redis),
    groups: deps.groups,
    decideGroup: (id, verdict, who, notes, selection) =>
      decideGroup(deps.groups, deps.approvals, id, verdict, who, notes, selection),
    names: new PeopleNames(redis),
    policy: deps.policy,
    executionMode: deps.executionMode,
    now: deps.now,
    hosts: () => redis.zrevrange(keys.hosts, 0, 999),
    history: (host) => readHistory(redis, host),
    sources: (host) => readSources(redis, host),
    command: (name, text) => runCommand(commandDeps, name, text),
    usage: async (name, text) => {
      const checked = await checkCommand(commandDeps, name, text);
      return 'usage' in checked ? checked.usage : undefined;
    },
    storeReady: () => redis.status === 'ready',
  };
}
