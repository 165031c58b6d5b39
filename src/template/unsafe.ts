import type { ScalarTag } from 'yaml';

/**
 * A string that renders to itself: every `{{`, `{%` and `{#` becomes a template printing
 * those two characters, so the text is never read as a template however often it is
 * rendered (`a{{b` → `a{{ '{{' }}b` → `a{{b`).
 */
export function literalTemplate(text: string): string {
  // Backslashes just before `{{` would escape it: they go inside the printed string too.
  return text.replace(/\\*\{[{%#]/g, (m) => `{{ '${m}' }}`);
}

/** The text a `literalTemplate` renders to (for showing values without rendering them). */
export function literalText(template: string): string {
  return template.replace(/\{\{ '(\\*\{[{%#])' \}\}/g, '$1');
}

/**
 * Ansible's `!unsafe` tag: the value is passed as written, never templated (a password
 * holding `{{`).
 */
export const unsafeTag: ScalarTag = {
  tag: '!unsafe',
  identify: () => false,
  resolve: (str) => literalTemplate(str),
};
