/**
 * YAML as Ansible reads it (YAML 1.1: `0755` is 493, `yes` is true), with positions kept for
 * error messages. Timestamps stay strings (a `Date` would template badly); `!vault` values
 * are kept as `VaultText` for the loader to decrypt.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node, type Pair, type ScalarTag, type YAMLMap } from 'yaml';
import { ConfigError, type SourcePos } from '../core/errors.js';
import { yamlErrorOffset } from '../core/yaml-errors.js';
import { pyyamlTags } from '../core/yaml-tags.js';
import { unsafeTag } from '../template/unsafe.js';

/** An inline `!vault |` value, still encrypted. */
export class VaultText {
  constructor(readonly ciphertext: string) {}
}

const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: (v) => v instanceof VaultText,
  resolve: (str) => new VaultText(str),
};

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Set when duplicate keys are allowed: what Ansible only warns about, collected. */
  warnings?: { msg: string; pos: SourcePos }[];
}

/**
 * Parse one YAML document; a syntax error becomes a ConfigError at its file:line:col.
 * `duplicateKeys: 'warn'` accepts a key written twice in a mapping as Ansible does (the last
 * one wins, with a warning in `warnings`); by default it is an error.
 */
export function parseYaml(text: string, file: string, opts: { duplicateKeys?: 'warn' | 'error' } = {}): YamlSource {
  const lines = new LineCounter();
  const warnDuplicates = opts.duplicateKeys === 'warn';
  const doc = parseDocument(text, {
    version: '1.1',
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: !warnDuplicates,
    customTags: (tags) => [...pyyamlTags(tags), vaultTag, unsafeTag],
  });
  const err = doc.errors[0];
  if (err) {
    const message = err.message.split('\n')[0]!;
    const where = yamlErrorOffset(text, message, err.pos[0]);
    const at = lines.linePos(where.offset);
    throw new ConfigError(`invalid YAML: ${message}${where.note ? ` (${where.note})` : ''}`, { file, line: at.line, col: at.col }, undefined, {
      cause: err,
    });
  }
  return { file, text, doc, lines, ...(warnDuplicates ? { warnings: [] } : {}) };
}

/** Where a node starts (the file's start when the node has no range). */
export function posOf(src: YamlSource, node: Node | null | undefined): SourcePos {
  const offset = node?.range?.[0] ?? 0;
  const at = src.lines.linePos(offset);
  return { file: src.file, line: at.line, col: at.col };
}

/** A short description of what a node holds, for "expected X, found Y" messages. */
export function describeNode(node: Node | null | undefined): string {
  if (node == null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string '${v.length > 40 ? v.slice(0, 37) + '...' : v}'`;
    if (v instanceof VaultText) return 'a !vault value';
    return `${typeof v} ${String(v)}`;
  }
  return 'an alias';
}

/** A mapping key as written: `01:` is the name "01", not the number 1. */
export function keyText(src: YamlSource, key: unknown): string {
  if (isScalar(key)) {
    if (typeof key.value === 'string') return key.value;
    if (key.range) return src.text.slice(key.range[0], key.range[1]).trim();
    return String(key.value);
  }
  return String(key);
}

/** The node an alias points to (or the node itself). */
export function deref(src: YamlSource, node: unknown): Node | null {
  let n = node as Node | null | undefined;
  for (let i = 0; n && isAlias(n) && i < 100; i++) n = n.resolve(src.doc) as Node | undefined;
  return n ?? null;
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key) || (key.type && key.type !== Scalar.PLAIN)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

/**
 * The entries of a mapping with YAML merge keys (`<<: *anchor`) applied: merged entries take
 * the merge key's place, and a key written in the mapping itself wins over a merged one.
 */
export function mapEntries(src: YamlSource, map: YAMLMap): Pair[] {
  const explicit = new Set<string>();
  const last = new Map<string, Pair>();
  for (const p of map.items) {
    if (isMergeKey(p.key)) continue;
    const k = keyText(src, p.key);
    const before = last.get(k);
    if (before) warnDuplicate(src, k, before, p);
    explicit.add(k);
    last.set(k, p);
  }
  const out: Pair[] = [];
  const taken = new Set<string>();
  for (const p of map.items) {
    if (!isMergeKey(p.key)) {
      if (last.get(keyText(src, p.key)) === p) out.push(p);
      continue;
    }
    const v = deref(src, p.value);
    const from = isSeq(v) ? v.items.map((i) => deref(src, i)) : [v];
    for (const m of from) {
      if (!isMap(m)) throw new ConfigError(`'<<' merges mappings only, found ${describeNode(m)}`, posOf(src, m ?? (p.key as Node)));
      for (const e of mapEntries(src, m)) {
        const k = keyText(src, e.key);
        if (explicit.has(k) || taken.has(k)) continue;
        taken.add(k);
        out.push(e);
      }
    }
  }
  return out;
}

/** A key written twice (only parsed when the source allows it): Ansible's warning, once per place. */
function warnDuplicate(src: YamlSource, key: string, first: Pair, again: Pair): void {
  const pos = posOf(src, again.key as Node);
  const firstPos = posOf(src, first.key as Node);
  const msg = `duplicate key '${key}' (first at line ${firstPos.line}): using the last one only, as Ansible does`;
  if (src.warnings && !src.warnings.some((w) => w.msg === msg && w.pos.line === pos.line && w.pos.col === pos.col)) src.warnings.push({ msg, pos });
}

/** Plain JS value of a node (aliases resolved, merge keys applied). */
export function toValue(src: YamlSource, node: Node | null | undefined): unknown {
  if (node == null) return null;
  return node.toJS(src.doc, { maxAliasCount: 1000 });
}

/** Whether a value holds an inline vault value anywhere. */
export function hasVault(value: unknown): boolean {
  if (value instanceof VaultText) return true;
  if (Array.isArray(value)) return value.some(hasVault);
  if (value && typeof value === 'object') return Object.values(value).some(hasVault);
  return false;
}

/** Replace every inline vault value with what `decrypt` gives for it. */
export async function decryptVaults(
  value: unknown,
  decrypt: (ciphertext: string, where: string) => Promise<string> | string,
  where: string,
): Promise<unknown> {
  if (value instanceof VaultText) return decrypt(value.ciphertext, where);
  if (Array.isArray(value)) return Promise.all(value.map((v) => decryptVaults(v, decrypt, where)));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await decryptVaults(v, decrypt, where);
    return out;
  }
  return value;
}
