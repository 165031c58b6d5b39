/**
 * Ansible's YAML inventory format: top-level keys are groups (usually just `all`); a group
 * holds `hosts` (name or range → variables or nothing), `children` (more groups) and `vars`.
 * A group may appear in several places; its hosts, children and vars are merged. Where Ansible
 * only warns (an unexpected key under a group, a key written twice), so does runbook, with the
 * position and a suggestion; where Ansible's YAML plugin fails (a section that is not a
 * mapping), runbook stops.
 */
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { ConfigError, type SourcePos } from '../core/errors.js';
import type { InventoryData } from './model.js';
import { expandHostPattern } from './ranges.js';
import { deref, describeNode, hasVault, keyText, mapEntries, parseYaml, posOf, toValue, type YamlSource } from './yaml-source.js';

const SECTIONS = ['hosts', 'children', 'vars'] as const;

export interface YamlInventoryOptions {
  /** Accept inline `!vault` values (the loader decrypts them afterwards). */
  allowVault?: boolean;
}

export function parseYamlInventory(text: string, file: string, inv: InventoryData, opts: YamlInventoryOptions = {}): void {
  const src = parseYaml(text, file, { duplicateKeys: 'warn' });
  const root = deref(src, src.doc.contents);
  if (root == null || (isScalar(root) && root.value == null)) {
    throw new ConfigError('empty inventory: expected a mapping of groups, such as all: { hosts: ... }', posOf(src, root));
  }
  if (!isMap(root)) {
    throw new ConfigError(
      `expected a mapping of group names at the top level (all:, or other groups), found ${describeNode(root)}`,
      posOf(src, root),
    );
  }
  const parser = new YamlInventoryParser(src, inv, opts);
  for (const pair of mapEntries(src, root)) {
    const name = parser.key(pair, 'group name');
    if (name === 'plugin') {
      throw new ConfigError('this is an inventory plugin configuration (plugin:), which runbook does not support', posOf(src, pair.key as Node));
    }
    parser.group(name, pair);
  }
  inv.warnings.push(...(src.warnings ?? []));
}

class YamlInventoryParser {
  constructor(
    private readonly src: YamlSource,
    private readonly inv: InventoryData,
    private readonly opts: YamlInventoryOptions,
  ) {}

  key(pair: Pair, what: string): string {
    const k = pair.key as Node | null;
    if (!isScalar(k)) throw new ConfigError(`expected a ${what}, found ${describeNode(k)}`, posOf(this.src, k ?? (pair.value as Node)));
    const name = keyText(this.src, k);
    if (name === '') throw new ConfigError(`expected a ${what}, found an empty key`, posOf(this.src, k));
    return name;
  }

  group(name: string, pair: Pair): void {
    const node = deref(this.src, pair.value);
    const pos = posOf(this.src, pair.key as Node);
    this.inv.addGroup(name, pos);
    if (node == null || (isScalar(node) && node.value == null)) return;
    if (!isMap(node)) {
      throw new ConfigError(
        `group '${name}' must be a mapping with hosts:, children: and/or vars:, found ${describeNode(node)}`,
        posOf(this.src, node),
      );
    }
    for (const item of mapEntries(this.src, node)) {
      const section = this.key(item, 'section (hosts, children or vars)');
      if (!(SECTIONS as readonly string[]).includes(section)) {
        const hint = suggest(section, SECTIONS);
        this.inv.warnings.push({
          msg: `skipping unexpected key '${section}' in group '${name}': only hosts, children and vars are valid${hint ? ` (did you mean '${hint}'?)` : ''}`,
          pos: posOf(this.src, item.key as Node),
        });
        continue;
      }
      const entries = this.sectionEntries(name, section, item);
      for (const entry of entries) {
        if (section === 'vars') this.groupVar(name, entry);
        else if (section === 'children') {
          const child = this.key(entry, 'group name');
          this.group(child, entry);
          this.inv.addChild(name, child, posOf(this.src, entry.key as Node));
        } else this.hosts(name, entry);
      }
    }
  }

  /** The pairs of a section; a lone string (`hosts: web1`) means one key, as in Ansible. */
  private sectionEntries(group: string, section: string, item: Pair): Pair[] {
    const v = deref(this.src, item.value);
    if (v == null || (isScalar(v) && v.value == null)) return [];
    if (isScalar(v) && typeof v.value === 'string') {
      return [{ key: v, value: null } as unknown as Pair];
    }
    if (!isMap(v)) {
      const hint =
        isSeq(v) && section !== 'vars'
          ? ` (write each name as a key ending in ':', not as a '- ' list item)`
          : '';
      throw new ConfigError(
        `'${section}' of group '${group}' must be a mapping, found ${describeNode(v)}${hint}`,
        posOf(this.src, v),
      );
    }
    return mapEntries(this.src, v);
  }

  private value(node: Node | null | undefined): unknown {
    const value = toValue(this.src, node);
    if (!this.opts.allowVault && hasVault(value)) {
      throw new ConfigError('an encrypted !vault value needs a vault password (--vault-password-file)', posOf(this.src, node));
    }
    return value;
  }

  private groupVar(group: string, entry: Pair): void {
    const key = this.key(entry, 'variable name');
    this.inv.setGroupVar(group, key, this.value(entry.value as Node | null), posOf(this.src, entry.value as Node));
  }

  private hosts(group: string, entry: Pair): void {
    const pattern = this.key(entry, 'host name');
    const keyPos = posOf(this.src, entry.key as Node);
    let expanded: { hosts: string[]; port?: number };
    try {
      expanded = expandHostPattern(pattern);
    } catch (e) {
      throw new ConfigError((e as Error).message, keyPos);
    }
    const v = deref(this.src, entry.value);
    const vars: [string, unknown, SourcePos?][] = [];
    if (v != null && !(isScalar(v) && v.value == null)) {
      if (!isMap(v)) {
        throw new ConfigError(
          `host '${pattern}' in group '${group}' must be followed by a mapping of its variables or nothing, found ${describeNode(v)}`,
          posOf(this.src, v),
        );
      }
      for (const p of mapEntries(this.src, v)) vars.push([this.key(p, 'variable name'), this.value(p.value as Node | null), posOf(this.src, p.value as Node)]);
    }
    this.inv.addHosts(expanded, group, keyPos, vars);
  }
}

/** The closest of `options` to a misspelt `word` (edit distance ≤ 2), if any. */
export function suggest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}
