/**
 * File modes as users write them: a number (YAML 1.1 reads `0644` as 420), an octal string
 * ('0644', '644', '1777') or a chmod-style symbolic mode ('u=rw,g=r,o=r', 'u+x', 'a-w', 'g=u').
 */

const CLAUSE = '[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+';
const OCTAL = '(?:0o?)?([0-7]{3,5})';
const SYMBOLIC = `${CLAUSE}(?:,${CLAUSE})*`;
/** What a mode string may be, whole: octal digits or chmod's symbolic clauses. */
export const MODE_PATTERN = `^\\s*(?:${OCTAL}|${SYMBOLIC})\\s*$`;
const OCTAL_RE = new RegExp(`^${OCTAL}$`);
const SYMBOLIC_RE = new RegExp(`^${SYMBOLIC}$`);

export type ModeSpec = string | number;

/** JSON Schema of a `mode` parameter. */
export function modeSchema(what: string): Record<string, unknown> {
  return {
    description:
      `Permissions of ${what}: an octal string ('0644', '644', '1777'), a symbolic mode as chmod ` +
      `takes it ('u=rw,g=r,o=r', 'u+x', 'go-w'), or a number (YAML 1.1 reads an unquoted 0644 as ` +
      `octal). Quote modes in YAML to be safe. An unquoted three-digit number of octal digits ` +
      `from 512 up (e.g. 644, 755 written without the leading zero) is read as octal digits.`,
    title: "an octal mode ('0644') or a symbolic one as chmod takes it ('u=rw,g=r,o=r', 'u+x')",
    anyOf: [
      { type: 'integer', minimum: 0, maximum: 0o7777 },
      { type: 'string', pattern: MODE_PATTERN },
    ],
  };
}

export class ModeError extends Error {}

export function isSymbolicMode(spec: ModeSpec): boolean {
  return typeof spec === 'string' && !OCTAL_RE.test(spec.trim()) && SYMBOLIC_RE.test(spec.trim());
}

/**
 * The numeric mode a spec means. `base` is the current mode (for relative symbolic modes such as
 * 'u+x'); `isDir` matters for 'X'; `umask` masks the bits of clauses without a who ('+x'), as
 * chmod does.
 */
export function parseMode(spec: ModeSpec, base = 0, isDir = false, umask = 0o022): number {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || spec > 0o7777) throw new ModeError(`invalid mode ${spec}`);
    const dec = String(spec);
    // `mode: 644` (or YAML 1.2 reading `0644` as decimal): nobody means 0o1204.
    if (dec.length === 3 && spec >= 512 && /^[0-7]+$/.test(dec)) return parseInt(dec, 8);
    return spec;
  }
  const s = spec.trim();
  const m = OCTAL_RE.exec(s);
  if (m) {
    const n = parseInt(m[1], 8);
    if (n > 0o7777) throw new ModeError(`invalid mode '${spec}'`);
    return n;
  }
  if (!SYMBOLIC_RE.test(s)) {
    throw new ModeError(`invalid mode '${spec}': expected octal like '0644' or symbolic like 'u=rw,g=r,o=r'`);
  }
  return applySymbolic(s, base & 0o7777, isDir, umask);
}

const WHO_MASK: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

function applySymbolic(spec: string, base: number, isDir: boolean, umask: number): number {
  let mode = base;
  for (const clause of spec.split(',')) {
    const whoMatch = /^[ugoa]*/.exec(clause)!;
    const who = whoMatch[0];
    let whoMask = 0;
    for (const w of who) whoMask |= WHO_MASK[w];
    const noWho = who === '';
    if (noWho) whoMask = 0o7777;
    const opsRe = /([-+=])([ugo]|[rwxXst]*)/g;
    opsRe.lastIndex = who.length;
    let op: RegExpExecArray | null;
    while ((op = opsRe.exec(clause))) {
      const [, operator, perms] = op;
      let bits = 0;
      if (perms === 'u' || perms === 'g' || perms === 'o') {
        const shift = perms === 'u' ? 6 : perms === 'g' ? 3 : 0;
        const b = (mode >> shift) & 7;
        bits = b * 0o111;
      } else {
        for (const p of perms) {
          if (p === 'r') bits |= 0o444;
          else if (p === 'w') bits |= 0o222;
          else if (p === 'x') bits |= 0o111;
          else if (p === 'X') bits |= isDir || (mode & 0o111) !== 0 ? 0o111 : 0;
          else if (p === 's') bits |= 0o6000;
          else if (p === 't') bits |= 0o1000;
        }
      }
      let eff = bits & whoMask;
      if (noWho) eff &= ~umask | 0o7000;
      if (operator === '+') mode |= eff;
      else if (operator === '-') mode &= ~eff;
      else {
        let clear = whoMask;
        // chmod leaves a directory's set-id bits alone unless they are named.
        if (isDir) clear &= ~(0o6000 & ~eff);
        mode = (mode & ~clear) | eff;
      }
    }
  }
  return mode & 0o7777;
}

/** '0644', '1777': four octal digits. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Octal digits for `chmod`. The extra leading zero makes GNU chmod clear a directory's set-id
 * bits too (with four digits it keeps them); other chmods read it as the same number.
 */
export function chmodOctal(mode: number): string {
  return `0${formatMode(mode)}`;
}

/** The form to hand to `chmod`: octal digits, or the symbolic spec as given. */
export function chmodArg(spec: ModeSpec): string {
  if (isSymbolicMode(spec)) return String(spec).trim();
  return chmodOctal(parseMode(spec));
}
