import type { ScalarTag } from 'yaml';

/**
 * A string that renders to itself: every `{{`, `{%`, `{#` and `}}` becomes a Jinja template
 * printing those two characters, so the text is never read as a template however often it
 * is rendered (`a{{b` → `a{{ '{{' }}b` → `a{{b`), nor taken for Handlebars (`~}}`).
 */
export function literalTemplate(text: string): string {
  return text.replace(/\{[{%#]|\}\}/g, (m) => `{{ '${m}' }}`);
}

/** The text a `literalTemplate` renders to (for showing values without rendering them). */
export function literalText(template: string): string {
  return template.replace(/\{\{ '(\{[{%#]|\}\})' \}\}/g, '$1');
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
