import type { ParamSpec, ParamValue } from './params.js';
import { LIST_PARAM_TYPES } from './params.js';

/**
 * An argv element is literal text with `{name}` placeholders. Each element
 * stays exactly one argument (no word splitting, no shell), except that an
 * element which is nothing but a list parameter expands to one argument per
 * item, e.g. `find {dirs} -xdev ...`.
 */
const PLACEHOLDER = /\{([a-z][a-z0-9_]*)\}/g;

/** Problems with one argv element against the declared parameters. */
export function checkTemplateElement(element: string, params: Readonly<Record<string, ParamSpec>>): string | undefined {
  const names = [...element.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  const rest = element.replace(PLACEHOLDER, '');
  if (rest.includes('{') || rest.includes('}')) return `"${element}" has a brace that is not a {parameter} placeholder`;
  for (const name of names) {
    const spec = params[name];
    if (!spec) return `"${element}" uses {${name}}, which is not a declared parameter`;
    if (LIST_PARAM_TYPES.includes(spec.type) && element !== `{${name}}`) {
      return `list parameter {${name}} must be a whole argument on its own`;
    }
  }
  return undefined;
}

/** Renders validated parameter values into argv; values never split or merge arguments. */
export function renderArgv(template: readonly string[], values: Readonly<Record<string, ParamValue>>): string[] {
  const argv: string[] = [];
  for (const element of template) {
    const whole = /^\{([a-z][a-z0-9_]*)\}$/.exec(element);
    const value = whole ? values[whole[1] ?? ''] : undefined;
    if (Array.isArray(value)) {
      argv.push(...(value as readonly string[]));
      continue;
    }
    argv.push(element.replace(PLACEHOLDER, (_, name: string) => String(values[name])));
  }
  return argv;
}
