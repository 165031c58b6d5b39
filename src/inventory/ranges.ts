/**
 * Host names as they appear in inventory keys and INI host lines: an optional `:port` suffix
 * and `[a:b]` / `[a:b:step]` ranges, expanded the way Ansible's `expand_hostname_range` does.
 * Functions here throw plain `Error`s; parsers wrap them with a source position.
 */

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `host`, `host:2222`, `[::1]:22`, `www[01:50].example.com:2222` → names and port. */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  const { host, port } = splitPort(pattern.trim());
  if (host === '') throw new Error(`empty host name in '${pattern}'`);
  return { hosts: host.includes('[') ? expandHostRange(host) : [host], port };
}

/** Split a trailing `:port` off a host pattern; colons inside `[...]` belong to ranges. */
export function splitPort(pattern: string): { host: string; port?: number } {
  // [ipv6] or [ipv6]:port
  const bracketed = /^\[([0-9a-fA-F:.%]+)\](?::(\d+))?$/.exec(pattern);
  if (bracketed && bracketed[1].includes(':')) {
    return { host: bracketed[1], port: bracketed[2] !== undefined ? Number(bracketed[2]) : undefined };
  }
  const colons: number[] = [];
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) colons.push(i);
  }
  if (colons.length === 0) return { host: pattern };
  if (colons.length > 1) return { host: pattern }; // a bare IPv6 address: no port
  const at = colons[0];
  const port = pattern.slice(at + 1);
  if (port === '') throw new Error(`host '${pattern}' ends in ':' (a port number must follow)`);
  if (!/^\d+$/.test(port)) return { host: pattern };
  return { host: pattern.slice(0, at), port: Number(port) };
}

/**
 * Expand `db[01:10:3]node-[a:c]` into every name. Leading zeros in the start fix the width
 * (and the end must have the same width); letters range over a-zA-Z; the start defaults to 0.
 */
export function expandHostRange(name: string): string[] {
  const open = name.indexOf('[');
  if (open < 0) return [name];
  const close = name.indexOf(']', open);
  if (close < 0) throw new Error(`host range in '${name}' has no closing ']'`);
  const head = name.slice(0, open);
  const body = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
  const bounds = body.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new Error(`host range '[${body}]' in '${name}' must be begin:end or begin:end:step`);
  }
  const beg = bounds[0] === '' ? '0' : bounds[0];
  const end = bounds[1];
  if (end === '') throw new Error(`host range '[${body}]' in '${name}' has no end value`);
  const stepText = bounds.length === 3 ? bounds[2] : '1';
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
    throw new Error(`host range '[${body}]' in '${name}' has an invalid step '${stepText}'`);
  }
  const step = Number(stepText);

  let seq: string[];
  const iBeg = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const iEnd = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new Error(`host range '[${body}]' in '${name}' must have begin <= end`);
    seq = [];
    for (let i = iBeg; i <= iEnd; i += step) seq.push(LETTERS[i]);
  } else {
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) {
      throw new Error(`host range '[${body}]' in '${name}' must be numbers or single letters`);
    }
    let width = 0;
    if (beg.length > 1 && beg[0] === '0') {
      width = beg.length;
      if (end.length !== width) {
        throw new Error(`host range '[${body}]' in '${name}' must have begin and end of equal width`);
      }
    }
    // Ansible expands a reversed numeric range to no hosts at all: surely a typo, so refuse it.
    if (Number(beg) > Number(end)) throw new Error(`host range '[${body}]' in '${name}' must have begin <= end`);
    seq = [];
    for (let i = Number(beg); i <= Number(end); i += step) seq.push(String(i).padStart(width, '0'));
  }
  const out: string[] = [];
  for (const part of seq) {
    const host = head + part + tail;
    if (host.includes('[')) out.push(...expandHostRange(host));
    else out.push(host);
  }
  return out;
}
