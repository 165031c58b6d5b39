import type { JsonSchema, ModuleDefinition } from '../core/module.js';

/**
 * `runbook doc`: the module list, or one module's reference (parameters with type, default,
 * choices and description, then an example), all generated from the module's own schema.
 */
export function docCommand(modules: ReadonlyMap<string, ModuleDefinition<any, any>>, name?: string): string {
  if (!name) return moduleList(modules);
  const mod = modules.get(name);
  return mod ? moduleReference(mod) : '';
}

function moduleList(modules: ReadonlyMap<string, ModuleDefinition<any, any>>): string {
  const width = Math.max(...[...modules.keys()].map((n) => n.length));
  const rows = [...modules.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => `${m.name.padEnd(width)}  ${firstSentence(m.description)}`);
  return [...rows, '', 'runbook doc MODULE prints its parameters and an example.'].join('\n');
}

function moduleReference(mod: ModuleDefinition<any, any>): string {
  const lines = [mod.name, '', wrap(mod.description, 78), ''];
  if (mod.freeForm) lines.push(`Free form: \`${mod.name}: VALUE\` sets \`${mod.freeForm}\`.`, '');
  const props = (mod.schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((mod.schema.required as string[] | undefined) ?? []);
  lines.push('Parameters:');
  for (const [key, s] of Object.entries(props)) {
    const facts = [typeOf(s)];
    if (required.has(key)) facts.push('required');
    if (s.default !== undefined) facts.push(`default ${JSON.stringify(s.default)}`);
    const choices = choicesOf(s);
    if (choices) facts.push(`choices: ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
    lines.push(`  ${key} (${facts.join('; ')})`);
    if (typeof s.description === 'string') lines.push(indent(wrap(s.description, 72), 6));
  }
  if (mod.example) lines.push('', 'Example:', indent(mod.example.trimEnd(), 2));
  return lines.join('\n');
}

/**
 * The README's module section: every module with its first sentence and its example, so the
 * README cannot fall behind the modules (a test compares the two).
 */
export function moduleMarkdown(modules: ReadonlyMap<string, ModuleDefinition<any, any>>): string {
  const out: string[] = [];
  for (const m of [...modules.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    out.push(`### ${m.name}`, '', firstSentence(m.description), '', '```yaml', (m.example ?? '').trimEnd(), '```', '');
  }
  return out.join('\n').trimEnd();
}

/** The type of a parameter in words: `string`, `list of string`, `integer | string`. */
function typeOf(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return [...new Set((s.enum as unknown[]).map((x) => (x === null ? 'null' : typeof x)))].join(' | ');
  if (typeof s.type === 'string') {
    if (s.type === 'array' && s.items && typeof (s.items as JsonSchema).type === 'string') return `list of ${(s.items as JsonSchema).type}`;
    return s.type;
  }
  if (Array.isArray(s.type)) return (s.type as string[]).join(' | ');
  for (const k of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[k])) return [...new Set((s[k] as JsonSchema[]).map(typeOf))].join(' | ');
  }
  return 'any';
}

/** The allowed values of an enumerated parameter (also inside anyOf/oneOf), if it is one. */
function choicesOf(s: JsonSchema): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum as unknown[];
  for (const k of ['oneOf', 'anyOf'] as const) {
    if (!Array.isArray(s[k])) continue;
    const all = (s[k] as JsonSchema[]).map((x) => (Array.isArray(x.enum) ? (x.enum as unknown[]) : undefined));
    if (all.every((x) => x !== undefined)) return all.flat();
  }
  return undefined;
}

function firstSentence(s: string): string {
  const m = /^(.*?\.)(\s|$)/.exec(s);
  return m ? m[1] : s;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.join('\n');
}
