import { ModuleError } from '../src/core/errors.js';
import { defineModule } from '../src/core/module.js';

export interface AssertParams {
  that: string | string[];
  fail_msg?: unknown;
  msg?: unknown;
  success_msg?: unknown;
  quiet?: boolean;
}

export type AssertVerdict =
  | { ok: true; message: string }
  | { ok: false; message: string; failed: string };

/** The conditions of `that`, as a list (pure). */
export function conditionsOf(that: string | string[]): string[] {
  return (Array.isArray(that) ? that : [that]).map((c) => String(c).trim());
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Judge the conditions in order with `holds` (pure but for it): the first that does not hold
 * fails the task, named in the message after fail_msg/msg when given.
 */
export function judgeAssert(params: AssertParams, holds: (cond: string) => boolean): AssertVerdict {
  for (const c of conditionsOf(params.that)) {
    if (!holds(c)) {
      const custom = params.fail_msg ?? params.msg;
      const message = custom !== undefined ? `${text(custom)} (assertion failed: ${c})` : `assertion failed: ${c}`;
      return { ok: false, message, failed: c };
    }
  }
  return { ok: true, message: params.success_msg !== undefined ? text(params.success_msg) : 'All assertions passed' };
}

export default defineModule<AssertParams>({
  name: 'assert',
  description:
    'Check conditions (`that`: one expression or a list, in the `when` language, not wrapped in ' +
    '{{ }}) in order; the first one that is false fails the task, with `fail_msg` (or `msg`) and the ' +
    'condition named. When all hold the task is ok and prints `success_msg` (default "All ' +
    'assertions passed") unless `quiet`. Runs on the controller, in check mode too.',
  example: `- name: The release is sane
  assert:
    that:
      - replicas > 0
      - release is defined
    fail_msg: "replicas must be positive"
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      that: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', minItems: 1, items: { type: ['string', 'boolean'] } },
        ],
        description: 'A condition or a list of conditions that must all be true.',
      },
      fail_msg: { description: 'Message of the failure (the failing condition is named after it).' },
      msg: { description: 'Same as fail_msg.' },
      success_msg: { description: 'Message printed when every condition holds.' },
      quiet: { type: 'boolean', default: false, description: 'Print nothing when every condition holds.' },
    },
    required: ['that'],
  },
  controller: true,
  async plan(ctx, params) {
    if (!ctx.condition) throw new ModuleError('assert: conditions cannot be evaluated here');
    const holds = ctx.condition.bind(ctx);
    const verdict = judgeAssert(params, (c) => (c === 'true' || c === 'True' ? true : c === 'false' || c === 'False' ? false : holds(c)));
    if (!verdict.ok) throw new ModuleError(verdict.message, { assertion: verdict.failed, evaluated_to: false });
    return { changes: [], result: { msg: verdict.message }, effects: params.quiet ? {} : { message: verdict.message } };
  },
  async apply() {
    return { changed: false };
  },
});
