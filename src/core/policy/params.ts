import { z } from 'zod';

/**
 * Typed action parameters. Every value that can reach an argv is validated
 * against one of these; the patterns also keep values from being mistaken
 * for options (none can start with "-") or from carrying control characters.
 */
// Each segment ends at a mandatory slash, so a near-miss is rejected in linear time (an optional
// slash inside the repetition backtracks exponentially on a long segment followed by a bad character).
const PATH = /^\/(?:[A-Za-z0-9._@+-]+\/)*[A-Za-z0-9._@+-]*$/;
const SIZE = /^[1-9][0-9]{0,9}[KMGT]?$/;
const UNIT = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,240}\.(?:service|socket|timer|target|mount)$/;
const INTERFACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$/;

const pathValue = z
  .string()
  .regex(PATH, { error: 'expected an absolute path of letters, digits and ._@+-' })
  .refine((p) => !p.split('/').includes('..'), { error: 'must not contain ".."' });
const ipValue = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });

const paramValueSchemas = {
  integer: (spec: { min?: number | undefined; max?: number | undefined }) => {
    let schema = z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' });
    if (spec.min !== undefined) schema = schema.min(spec.min);
    if (spec.max !== undefined) schema = schema.max(spec.max);
    return schema;
  },
  port: () => z.number({ error: 'expected a port number' }).int().min(1).max(65535),
  enum: (spec: { values: readonly string[] }) =>
    z.string().refine((v) => spec.values.includes(v), { error: `expected one of: ${spec.values.join(', ')}` }),
  size: () => z.string().regex(SIZE, { error: 'expected a size such as 500M or 2G' }),
  path: () => pathValue,
  path_list: () => z.array(pathValue).min(1).max(32),
  unit: () => z.string().regex(UNIT, { error: 'expected a systemd unit name such as nginx.service' }),
  interface: () => z.string().regex(INTERFACE, { error: 'expected a network interface name such as eth0' }),
  ip: () => ipValue,
  ip_list: () => z.array(ipValue).min(1).max(8),
} as const;

export type ParamType = keyof typeof paramValueSchemas;
export const PARAM_TYPES = Object.keys(paramValueSchemas) as ParamType[];
export const LIST_PARAM_TYPES: readonly ParamType[] = ['path_list', 'ip_list'];

export const paramSpecSchema = z
  .strictObject({
    type: z.enum(PARAM_TYPES as [ParamType, ...ParamType[]]),
    description: z.string().optional(),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    values: z
      .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/))
      .min(1)
      .optional(),
    default: z.unknown().optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.type === 'enum' && !spec.values) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum parameter needs a list of values' });
      return;
    }
    if (spec.default === undefined) return;
    const checked = paramValueSchema(spec).safeParse(spec.default);
    if (!checked.success) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: checked.error.issues[0]?.message ?? 'invalid' });
    }
  });

export type ParamSpec = z.infer<typeof paramSpecSchema>;
export type ParamValue = string | number | readonly string[];

export function paramValueSchema(spec: ParamSpec): z.ZodType<ParamValue> {
  switch (spec.type) {
    case 'integer':
      return paramValueSchemas.integer(spec);
    case 'enum':
      return paramValueSchemas.enum({ values: spec.values ?? [] });
    default:
      return paramValueSchemas[spec.type]();
  }
}

/** The zod object that validates a whole parameter set of one action. */
export function paramsSchema(specs: Readonly<Record<string, ParamSpec>>): z.ZodType<Record<string, ParamValue>> {
  const shape: Record<string, z.ZodType<ParamValue>> = {};
  for (const [name, spec] of Object.entries(specs)) shape[name] = paramValueSchema(spec);
  return z.strictObject(shape);
}
