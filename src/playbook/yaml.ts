import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YNode,
  type Pair,
  parseDocument,
  type ParsedNode,
  Scalar,
  type Tags,
} from 'yaml';
import { ConfigError, ConfigErrors, type SourcePos } from '../core/errors.js';
import { yamlErrorOffset } from '../core/yaml-errors.js';
import { pyyamlTags } from '../core/yaml-tags.js';
import { unsafeTag } from '../template/unsafe.js';
import { vaultTag } from '../vault/keyring.js';

/**
 * YAML as Ansible reads it (1.1: `yes` is true, `0755` is octal), minus two traps: dates
 * and sexagesimal numbers (`80:80`) stay strings.
 */
const PARSE_OPTIONS = {
  version: '1.1' as const,
  customTags: (tags: Tags) => [...pyyamlTags(tags, { sexagesimal: false }), unsafeTag, vaultTag],
};

/** A parsed YAML file that can say where any of its nodes is. */
export class SourceFile {
  readonly doc: Document.Parsed;
  private readonly lc = new LineCounter();

  constructor(
    /** Path shown in messages (relative to the working directory when inside it). */
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: this.lc, prettyErrors: false });
  }

  /** Syntax errors of the file, each at its position. */
  errors(): ConfigError[] {
    return this.doc.errors.map((e) => {
      const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      const at = yamlErrorOffset(this.text, message, e.pos[0]);
      return new ConfigError(`YAML: ${message}${at.note ? ` (${at.note})` : ''}`, this.at(at.offset));
    });
  }

  /** The whole document as plain data. */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  at(offset: number): SourcePos {
    const { line, col } = this.lc.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Where a node starts. */
  pos(node: unknown): SourcePos {
    const range = (node as YNode | undefined)?.range;
    return this.at(range ? range[0] : 0);
  }

  /**
   * Where a scalar's content starts: after an opening quote; for block scalars (`|`, `>`),
   * the first character of the first content line. Templates and expressions count their
   * columns from here.
   */
  contentPos(node: unknown): SourcePos {
    if (!isScalar(node) || !node.range) return this.pos(node);
    const start = node.range[0];
    if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) return this.at(start + 1);
    if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
      const nl = this.text.indexOf('\n', start);
      if (nl < 0) return this.pos(node);
      let i = nl + 1;
      while (i < this.text.length && (this.text[i] === ' ' || this.text[i] === '\n' || this.text[i] === '\r')) i++;
      return this.at(i);
    }
    return this.pos(node);
  }

  /** Follow aliases. */
  resolve(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 100 && isAlias(n); i++) n = n.resolve(this.doc);
    return n;
  }

  /** The pair of a map with the given key (looking into `<<` merges too). */
  pair(map: unknown, key: string): Pair | undefined {
    const m = this.resolve(map);
    if (!isMap(m)) return undefined;
    for (const p of m.items) {
      const k = isScalar(p.key) ? p.key.value : p.key;
      if (k !== '<<' && String(k) === key) return p;
    }
    for (const p of m.items) {
      const k = isScalar(p.key) ? p.key.value : p.key;
      if (k !== '<<') continue;
      const sources = this.resolve(p.value);
      const list = isSeq(sources) ? sources.items : [sources];
      for (const s of list) {
        const found = this.pair(s, key);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** The value node of a map key. */
  get(map: unknown, key: string): unknown {
    const p = this.pair(map, key);
    return p ? this.resolve(p.value) : undefined;
  }

  /** Item i of a sequence. */
  item(seq: unknown, i: number): unknown {
    const s = this.resolve(seq);
    return isSeq(s) ? this.resolve(s.items[i]) : undefined;
  }

  /**
   * The node at a path (keys and indices) below `root`, with the pair holding it. Stops at
   * the deepest node that exists.
   */
  locate(root: unknown, segments: (string | number)[]): { node: unknown; pair?: Pair; complete: boolean } {
    let node = this.resolve(root);
    let pair: Pair | undefined;
    for (const seg of segments) {
      if (isMap(node)) {
        const p = this.pair(node, String(seg));
        if (!p) return { node, pair, complete: false };
        pair = p;
        node = this.resolve(p.value);
      } else if (isSeq(node)) {
        const next = this.resolve(node.items[Number(seg)]);
        if (next === undefined) return { node, pair, complete: false };
        pair = undefined;
        node = next;
      } else {
        return { node, pair, complete: false };
      }
      if (node === null || node === undefined) return { node: pair?.key ?? node, pair, complete: true };
    }
    return { node, pair, complete: true };
  }

  /** Position of the value at a path, or of its key when the value is empty. */
  posAtPath(root: unknown, segments: (string | number)[], keyOf = false): SourcePos {
    const { node, pair } = this.locate(root, segments);
    if (keyOf && pair) return this.pos(pair.key);
    if (node && (node as YNode).range) return this.pos(node);
    if (pair) return this.pos(pair.key);
    return this.pos(root);
  }

  get contents(): ParsedNode | null {
    return this.doc.contents;
  }
}

export { isMap, isPair, isScalar, isSeq };

/** A path as shown in messages: relative to the working directory when inside it. */
export function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** Read a playbook-side file as text; a missing or unreadable one is a ConfigErrors naming it. */
export async function readSourceText(file: string, what: string): Promise<string> {
  try {
    return await readFile(path.resolve(file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigErrors([
      new ConfigError(code === 'ENOENT' ? `${what} not found: ${file}` : `cannot read ${what} ${file}: ${(e as Error).message}`),
    ]);
  }
}
