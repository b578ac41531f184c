import { z } from 'zod';
import { CLASSES } from '../classes.js';
import { hostSchema, SIGNALS, type Signal } from '../snapshot/schema.js';
import { durationSchema } from './duration.js';
import { paramSpecSchema } from './params.js';
import { checkTemplateElement } from './template.js';

/**
 * The policy file. Every object is strict so that a misspelt key is an
 * error with its path rather than a setting silently ignored.
 */

const PRINCIPAL = /^(?:slack|discord|discord-role|console|console-group|role):[A-Za-z0-9._@-]{1,64}$/;
const principalSchema = z.string().regex(PRINCIPAL, {
  error:
    'expected platform:userId (slack:U123, discord:4567, discord-role:890, console:alice, console-group:sre) or role:name',
});

const continuousCondition = z.strictObject({
  op: z.enum(['>', '>=']),
  threshold: z.number().min(0),
  class: z.enum(CLASSES).exclude(['NO_ACTION']),
});
const binaryCondition = z.strictObject({
  op: z.literal('=='),
  threshold: z.literal(1),
  class: z.enum(CLASSES).exclude(['NO_ACTION']),
});

const signalSchema = z.enum(SIGNALS);

const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** `9.9.9.9`, `127.0.0.1:5353`, `[::1]:53` or `::1`, as node:dns `setServers` takes them. */
const RESOLVER =
  /^(?:\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;
const MOUNT = /^\/(?:[A-Za-z0-9._@+-]+\/)*[A-Za-z0-9._@+-]*$/;

/** Filesystem types that hold no data of their own: never the "disk" of a host. */
export const VIRTUAL_FS_TYPES = [
  'tmpfs',
  'devtmpfs',
  'overlay',
  'squashfs',
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'devpts',
  'autofs',
  'fuse.lxcfs',
  'nsfs',
  'ramfs',
  'iso9660',
] as const;

/** What the host agent measures and how it reports liveness. */
const agentSchema = z.strictObject({
  disk: z
    .strictObject({
      mounts: z.array(z.string().regex(MOUNT, { error: 'expected an absolute mount point such as /var' })).default([]),
      exclude_types: z.array(z.string().regex(/^[a-z0-9._-]{1,32}$/)).default([...VIRTUAL_FS_TYPES]),
    })
    .prefault({}),
  dns: z
    .strictObject({
      names: z
        .array(z.string().regex(DNS_NAME, { error: 'expected a DNS name such as example.com' }))
        .min(1)
        .max(8)
        .default(['localhost']),
      resolvers: z
        .array(z.string().regex(RESOLVER, { error: 'expected an IP address, optionally with :port' }))
        .max(4)
        .default([]),
      timeout: durationSchema.prefault('1s'),
    })
    .prefault({}),
  heartbeat_multiple: z.number().int().min(2).max(100).default(3),
});

const actionSchema = z
  .strictObject({
    description: z.string().min(1),
    risk: z.enum(['safe', 'risky']),
    when: z.array(signalSchema).min(1),
    params: z
      .record(z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'parameter names are lower_snake_case' }), paramSpecSchema)
      .default({}),
    steps: z.array(z.array(z.string().min(1)).min(1)).min(1),
    timeout: durationSchema,
    cooldown: durationSchema,
    verify: z.strictObject({ signal: signalSchema, after: durationSchema }).optional(),
    approvers: z.array(principalSchema).optional(),
  })
  .superRefine((action, ctx) => {
    action.steps.forEach((step, i) => {
      step.forEach((element, j) => {
        const problem = checkTemplateElement(element, action.params);
        if (problem) ctx.addIssue({ code: 'custom', path: ['steps', i, j], message: problem });
      });
      if (step[0]?.includes('{')) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 0],
          message: 'the program must be a literal, not a parameter',
        });
      }
    });
  });

const PERCENT_SIGNALS: readonly Signal[] = ['disk_usage', 'memory_usage', 'cpu_usage'];

/**
 * One alert name's meaning: its signal, and its value (the annotation's, or
 * `value`). `value_is: free` reads a percent free, as the stock node_exporter
 * rules compute it, as 100 - value used.
 */
const alertRuleSchema = z
  .strictObject({
    signal: signalSchema,
    value: z.number().min(0),
    value_annotation: z.string().min(1).optional(),
    value_is: z.enum(['used', 'free']).default('used'),
  })
  .refine((rule) => rule.value_is === 'used' || PERCENT_SIGNALS.includes(rule.signal), {
    error: `value_is: free is for percent signals (${PERCENT_SIGNALS.join(', ')})`,
    path: ['value_is'],
  });

export const policyDocumentSchema = z
  .strictObject({
    version: z.literal(1),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/),
    signals: z.strictObject({
      disk_usage: continuousCondition,
      memory_usage: continuousCondition,
      cpu_usage: continuousCondition,
      dns_latency_ms: continuousCondition,
      firewall_change_requested: binaryCondition,
    }),
    decision: z.strictObject({
      min_confidence: z.number().min(0).max(1),
    }),
    approval: z.strictObject({
      timeout: durationSchema,
      on_expiry: z.enum(['expire', 'repropose']),
      local_console_operator_approves: z.boolean().default(true),
    }),
    approvers: z.strictObject({
      global: z.array(principalSchema).default([]),
      roles: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), z.array(principalSchema)).default({}),
    }),
    breakers: z.strictObject({
      max_auto_heals_per_host_per_hour: z.number().int().min(1),
      max_hosts_auto_healing: z.number().int().min(1),
    }),
    grouping: z
      .strictObject({
        /** Incidents alike in these (the first fired signal, the actions proposed for it) that open within group_interval share one message. */
        by: z
          .array(z.enum(['signal', 'action']))
          .min(1)
          .default(['signal', 'action']),
        /** How long the notifier gathers after the first event of a burst before it posts. */
        group_wait: durationSchema.prefault('1500ms'),
        /** How long after a group's first incident others of its kind still join it. */
        group_interval: durationSchema.prefault('5m'),
      })
      .prefault({}),
    alertmanager: z
      .strictObject({
        host_label: z.string().min(1).default('instance'),
        /** Instance addresses (`10.0.0.5`, `::1`) by the host ids their agents report as. */
        hosts: z.record(z.string().min(1).max(64), hostSchema).default({}),
        alerts: z.record(z.string().min(1), alertRuleSchema),
      })
      .default({ host_label: 'instance', hosts: {}, alerts: {} }),
    agent: agentSchema.prefault({}),
    actions: z.record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'action ids are lower_snake_case' }),
      actionSchema,
    ),
  })
  .superRefine((policy, ctx) => {
    const roles = new Set(Object.keys(policy.approvers.roles));
    const checkRoles = (list: readonly string[], path: PropertyKey[]) =>
      list.forEach((principal, i) => {
        if (principal.startsWith('role:') && !roles.has(principal.slice(5))) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, i],
            message: `role "${principal.slice(5)}" is not defined under approvers.roles`,
          });
        }
      });
    checkRoles(policy.approvers.global, ['approvers', 'global']);
    for (const [role, members] of Object.entries(policy.approvers.roles)) {
      members.forEach((m, i) => {
        if (m.startsWith('role:'))
          ctx.addIssue({
            code: 'custom',
            path: ['approvers', 'roles', role, i],
            message: 'roles cannot contain roles',
          });
      });
    }
    for (const [id, action] of Object.entries(policy.actions)) {
      if (action.approvers) checkRoles(action.approvers, ['actions', id, 'approvers']);
    }
  });

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type AgentSettings = PolicyDocument['agent'];
export type SignalCondition = PolicyDocument['signals'][Signal];
