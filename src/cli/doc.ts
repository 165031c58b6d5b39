import type { JsonSchema, ModuleDefinition } from '../core/module.js';

/** `runbook doc`: the module list, or one module's parameters generated from its schema. */
export function docCommand(modules: ReadonlyMap<string, ModuleDefinition<any, any>>, name?: string): string {
  if (!name) {
    const width = Math.max(...[...modules.keys()].map((n) => n.length));
    return [...modules.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((m) => `${m.name.padEnd(width)}  ${firstSentence(m.description)}`)
      .join('\n');
  }
  const mod = modules.get(name);
  if (!mod) return '';
  const lines = [`${mod.name}`, '', wrap(mod.description, 78), ''];
  if (mod.freeForm) lines.push(`Free form: \`${mod.name}: VALUE\` sets \`${mod.freeForm}\`.`, '');
  lines.push('Parameters:');
  const props = (mod.schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((mod.schema.required as string[] | undefined) ?? []);
  for (const [key, s] of Object.entries(props)) {
    const type = typeOf(s);
    const extra = [required.has(key) ? 'required' : '', s.default !== undefined ? `default ${JSON.stringify(s.default)}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${key} (${type}${extra ? `; ${extra}` : ''})`);
    if (typeof s.description === 'string') lines.push(...wrap(s.description, 72).split('\n').map((l) => `      ${l}`));
  }
  return lines.join('\n');
}

function typeOf(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((x) => JSON.stringify(x)).join(' | ');
  if (typeof s.type === 'string') {
    if (s.type === 'array' && s.items && typeof (s.items as JsonSchema).type === 'string') return `list of ${(s.items as JsonSchema).type}`;
    return s.type;
  }
  if (Array.isArray(s.type)) return (s.type as string[]).join(' | ');
  for (const k of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[k])) return (s[k] as JsonSchema[]).map(typeOf).join(' | ');
  }
  return 'any';
}

function firstSentence(s: string): string {
  const m = /^(.*?\.)(\s|$)/.exec(s);
  return m ? m[1] : s;
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
