import { createHash } from 'node:crypto';
import { FILE_FACTS_SCRIPT } from '../../../../modules/_lib/facts.js';
import type { ExecCall, FakeTransport } from '../../../support/fake-transport.js';

/** How fixtures describe what is on a host (readable JSON, turned into the facts script's output). */
export interface StatSpec {
  type?: 'file' | 'directory' | 'link' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
}

export interface PathSpec extends StatSpec {
  exists?: boolean;
  joined?: boolean;
  /** Current content of a regular file (utf8). */
  content?: string;
  /** Override the hash (default: sha256 of content). */
  sha256?: string;
  unreadable?: boolean;
  linkTarget?: string;
  /** What a link points to (omit for a dangling link). */
  target?: StatSpec;
  tree?: StatSpec[];
  ancestor?: string;
  parent?: 'dir' | 'other' | 'absent';
}

export interface FactsSpec {
  me?: { user?: string; group?: string; uid?: number; gid?: number; umask?: string };
  paths: PathSpec[];
}

const TYPE_BITS = { file: 0o100000, directory: 0o040000, link: 0o120000, other: 0o010000 };

function hex(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}

function statLine(s: StatSpec, dflt: StatSpec['type'], size: number): string {
  const type = s.type ?? dflt ?? 'file';
  const mode = parseInt(s.mode ?? (type === 'directory' ? '0755' : type === 'link' ? '0777' : '0644'), 8);
  const raw = (TYPE_BITS[type] | mode).toString(16);
  return `${raw} ${s.uid ?? 0} ${s.gid ?? 0} ${s.owner ?? 'root'} ${s.group ?? 'root'} ${s.size ?? size}`;
}

/** The facts script's output for a spec, honouring the request's args (content, hash, recurse). */
export function renderFacts(spec: FactsSpec, args: readonly string[]): string {
  const [maxc, , hash, recurse] = args;
  const me = { user: 'root', group: 'root', uid: 0, gid: 0, umask: '0022', ...(spec.me ?? {}) };
  const out = [`umask ${me.umask}`, `id uid=${me.uid}(${me.user}) gid=${me.gid}(${me.group}) groups=${me.gid}(${me.group})`];
  for (const p of spec.paths) {
    out.push('path');
    if (p.joined) out.push('joined');
    if (p.exists === false) {
      out.push('absent');
      if (p.ancestor !== undefined) out.push(`ancestor ${hex(p.ancestor)}`);
    } else {
      const content = p.content !== undefined ? Buffer.from(p.content, 'utf8') : undefined;
      const type = p.type ?? 'file';
      out.push(`lstat ${statLine(p, 'file', content?.length ?? 0)}`);
      if (type === 'link') {
        out.push(`link ${hex(p.linkTarget ?? '')}`);
        if (p.target) out.push(`stat ${statLine(p.target, 'file', 0)}`);
      } else if (type === 'file') {
        if (p.unreadable) out.push('unreadable');
        else {
          if (hash === '1') {
            const sha = p.sha256 ?? createHash('sha256').update(content ?? Buffer.alloc(0)).digest('hex');
            out.push(`sha256 ${sha}`);
          }
          const size = p.size ?? content?.length ?? 0;
          if (Number(maxc) > 0 && size <= Number(maxc) && content) {
            out.push('content base64', content.toString('base64'), 'content_end');
          }
        }
      }
      if (recurse === '1' && (type === 'directory' || p.target?.type === 'directory')) {
        out.push(`tree ${statLine(p.target ?? p, 'directory', 0)}`);
        for (const t of p.tree ?? []) out.push(`tree ${statLine(t, 'file', 0)}`);
      }
    }
    out.push(`parent ${p.parent ?? 'dir'}`, 'end');
  }
  return out.join('\n') + '\n';
}

/** Make a FakeTransport answer the file facts script from a spec. */
export function answerFacts(t: FakeTransport, spec: FactsSpec): FakeTransport {
  return t.on(
    (c: ExecCall) => c.script === FILE_FACTS_SCRIPT,
    (c: ExecCall) => ({ stdout: renderFacts(spec, c.args) }),
  );
}
