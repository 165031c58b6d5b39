import { createRequire } from 'node:module';
import { CommandError, ModuleError } from '../../src/core/errors.js';
import type { ModuleContext } from '../../src/core/module.js';

/**
 * Crontab entries named by a `#Ansible: NAME` comment on the line above them (Ansible's
 * marker, so entries Ansible made are recognised and the other way round). A user's crontab is
 * read and written with `crontab -u USER` when the host has it, else as the spool file
 * /var/spool/cron/crontabs/USER; a cron_file is /etc/cron.d/NAME (lines with a user field).
 */

/** cron-parser (with luxon, a third of a megabyte) is loaded when a schedule is first checked, not at start-up. */
let cronParser: typeof import('cron-parser') | undefined;
const loadCronParser = () => (cronParser ??= createRequire(import.meta.url)('cron-parser') as typeof import('cron-parser'));

export const CRON_MARKER = '#Ansible: ';

export type SpecialTime = 'reboot' | 'yearly' | 'annually' | 'monthly' | 'weekly' | 'daily' | 'hourly';

export interface CronParams {
  name: string;
  job?: string;
  minute?: string;
  hour?: string;
  day?: string;
  month?: string;
  weekday?: string;
  special_time?: SpecialTime;
  user?: string;
  cron_file?: string;
  state?: 'present' | 'absent';
  disabled?: boolean;
}

export const CRON_FIELD_PATTERN = '^[0-9A-Za-z*/,-]+$';

/** The schedule part of the entry line (pure). Throws a ModuleError for an invalid schedule. */
export function cronSchedule(params: CronParams): string {
  if (params.special_time) return `@${params.special_time}`;
  const fields = [params.minute, params.hour, params.day, params.month, params.weekday].map((f) => String(f ?? '*'));
  const expr = fields.join(' ');
  try {
    loadCronParser().CronExpressionParser.parse(expr);
  } catch (e) {
    throw new ModuleError(`cron ${params.name}: '${expr}' is not a valid schedule: ${(e as Error).message}`, { name: params.name });
  }
  return expr;
}

/** The entry's line as it goes in the crontab (pure). */
export function cronLine(params: CronParams): string {
  const user = params.cron_file ? ` ${params.user ?? 'root'}` : '';
  return `${params.disabled ? '#' : ''}${cronSchedule(params)}${user} ${params.job ?? ''}`;
}

/**
 * The crontab text with the named entry set (or removed): the marker and the line after it
 * are replaced in place, a new entry goes at the end (pure).
 */
export function editCrontab(text: string, params: CronParams): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const marker = `${CRON_MARKER}${params.name}`;
  const out: string[] = [];
  let found = false;
  const want = (params.state ?? 'present') === 'present' ? [marker, cronLine(params)] : [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === marker) {
      if (!found) out.push(...want);
      found = true;
      i++; // the entry's own line
      continue;
    }
    out.push(lines[i]);
  }
  if (!found) out.push(...want);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Where the entry lives, as the scripts take it: USER CRON_FILE ('' for the user's crontab). */
export function cronTarget(params: CronParams): [string, string] {
  const f = params.cron_file ?? '';
  return [params.user ?? '', f === '' || f.startsWith('/') ? f : `/etc/cron.d/${f}`];
}

/** Args: USER CRON_FILE. Prints `tool 1` when crontab exists, then `file 1` and the text in base64 when there is one. */
export const CRON_READ_SCRIPT = `
u=\${1:-$(id -un)}; f=$2
if [ -n "$f" ]; then
  if [ -f "$f" ]; then echo "file 1"; base64 < "$f"; fi
  exit 0
fi
if command -v crontab >/dev/null 2>&1; then
  echo "tool 1"
  if c=$(crontab -u "$u" -l 2>/dev/null); then echo "file 1"; printf '%s\\n' "$c" | base64; fi
  exit 0
fi
p=/var/spool/cron/crontabs/$u
if [ -f "$p" ]; then echo "file 1"; base64 < "$p"; fi
exit 0
`;

/**
 * Args: USER CRON_FILE; stdin: the new text. An empty text removes a cron_file. The spool
 * file is written beside itself and renamed, owned by the user (group crontab), mode 0600.
 */
export const CRON_WRITE_SCRIPT = `
u=\${1:-$(id -un)}; f=$2
if [ -n "$f" ]; then
  mkdir -p -- "$(dirname -- "$f")" || exit 1
  t=$(mktemp "$(dirname -- "$f")/.runbook-cron.XXXXXX") || exit 1
  cat > "$t" || { rm -f -- "$t"; exit 1; }
  if [ ! -s "$t" ]; then rm -f -- "$t" "$f"; exit 0; fi
  chmod 0644 "$t" && mv -f -- "$t" "$f" || { rm -f -- "$t"; exit 1; }
  exit 0
fi
if command -v crontab >/dev/null 2>&1; then crontab -u "$u" -; exit $?; fi
d=/var/spool/cron/crontabs
mkdir -p "$d" || exit 1
t=$(mktemp "$d/.runbook-cron.XXXXXX") || exit 1
cat > "$t" || { rm -f -- "$t"; exit 1; }
chown "$u" "$t" && { chgrp crontab "$t" 2>/dev/null || true; } && chmod 0600 "$t" && mv -f -- "$t" "$d/$u" || { rm -f -- "$t"; exit 1; }
`;

export async function readCrontab(ctx: ModuleContext, params: CronParams): Promise<{ text: string; exists: boolean }> {
  const r = await ctx.run({ script: CRON_READ_SCRIPT, args: cronTarget(params) });
  if (r.exitCode !== 0) throw new CommandError(ctx.host, `read crontab for ${params.name}`, r.exitCode, r.stderr, 'cannot read the crontab');
  return parseCrontabRead(r.stdout);
}

export function parseCrontabRead(stdout: string): { text: string; exists: boolean } {
  const lines = stdout.split('\n');
  const at = lines.indexOf('file 1');
  if (at < 0) return { text: '', exists: false };
  return { text: Buffer.from(lines.slice(at + 1).join(''), 'base64').toString('utf8'), exists: true };
}

export async function writeCrontab(ctx: ModuleContext, params: CronParams, text: string): Promise<void> {
  const r = await ctx.run({ script: CRON_WRITE_SCRIPT, args: cronTarget(params) }, { stdin: text });
  if (r.exitCode !== 0) throw new CommandError(ctx.host, `write crontab for ${params.name}`, r.exitCode, r.stderr, 'cannot write the crontab');
}
