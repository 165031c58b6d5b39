import { defineModule } from '../src/core/module.js';

export interface DebugParams {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

/** How debug shows a value: strings as they are, anything else as JSON (pure). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'VARIABLE IS NOT DEFINED!';
  return JSON.stringify(v, null, 2);
}

/** The line debug prints and the result it registers, from the value read (pure). */
export function debugOutput(params: DebugParams, value: unknown): { message: string; result: Record<string, unknown> } {
  if (params.var !== undefined) {
    return { message: `${params.var}: ${showValue(value)}`, result: { [params.var]: value === undefined ? 'VARIABLE IS NOT DEFINED!' : value } };
  }
  // A msg that renders to null (a variable holding None) prints null, as in Ansible.
  const msg = 'msg' in params ? params.msg : 'Hello world!';
  return { message: showValue(msg), result: { msg } };
}

export default defineModule<DebugParams>({
  name: 'debug',
  description:
    'Print a message (`msg`, templated) or the value of a variable or expression (`var`, e.g. ' +
    '`result.stdout`) under the task\'s line, in the plain, live and JSON outputs (the task:done ' +
    'event\'s `outcome.message`); hidden under no_log. With `verbosity: 1` it prints only with -v ' +
    '(otherwise it prints nothing). Runs on the controller, in check mode too, and reports ok.',
  example: `- name: Show the release
  debug:
    msg: "deploying {{ release }} to {{ inventory_hostname }}"
- name: Show a registered result
  debug: { var: uptime.stdout }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      msg: { description: 'Message to print (any value; not a string is printed as JSON). Default "Hello world!".' },
      var: { type: 'string', minLength: 1, description: 'A variable name or expression whose value to print (not wrapped in {{ }}).' },
      verbosity: { type: 'integer', minimum: 0, default: 0, description: 'Print only when the run is at least this verbose (-v is 1).' },
    },
    not: { required: ['msg', 'var'] },
  },
  controller: true,
  async plan(ctx, params) {
    if ((params.verbosity ?? 0) > (ctx.verbosity ?? 0)) {
      return { changes: [], result: { skipped_reason: 'verbosity threshold not met' } };
    }
    let value: unknown;
    if (params.var !== undefined) {
      if (!ctx.evaluate) throw new Error('debug var: expressions cannot be read here');
      try {
        value = ctx.evaluate(params.var);
      } catch (e) {
        if (!/undefined|not defined/i.test((e as Error).message)) throw e;
        value = undefined;
      }
    }
    const out = debugOutput(params, value);
    return { changes: [], result: out.result, effects: { message: out.message } };
  },
  async apply() {
    return { changed: false };
  },
});
