import { CommandError, ModuleError } from '../../src/core/errors.js';
import type { Change, ModuleContext } from '../../src/core/module.js';

/**
 * Local users and groups (user, group): facts from getent and id in one round trip, changes
 * with useradd/usermod/userdel and groupadd/groupmod/groupdel as exact argv. A password hash is
 * never in an argv or in any output: it goes to chpasswd -e on stdin, and the facts script
 * compares it with the shadow entry it reads from its own stdin, printing only whether they match.
 */

export const ACCOUNT_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*[$]?$';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface UserFacts {
  user?: PasswdEntry;
  /** Name of the user's primary group. */
  primary?: string;
  /** Every group the user is in (primary included), by name. */
  groups: string[];
  /** Whether the shadow hash equals the one given on stdin (undefined: no password asked about). */
  passwordMatches?: boolean;
  /** Groups asked about (group, groups), by the name or gid given; null when missing. */
  lookedUp: Record<string, GroupEntry | null>;
}

/**
 * Args: USER GROUP... ; stdin: the wanted password hash (one line) or nothing. Prints
 * `passwd ENTRY`, `primary NAME`, `groups NAMES`, `pw 1|0|none`, then per group
 * `group KEY ENTRY` or `nogroup KEY`.
 */
export const USER_FACTS_SCRIPT = `
n=$1; shift
IFS= read -r want || true
if e=$(getent passwd -- "$n"); then
  printf 'passwd %s\\n' "$e"
  printf 'primary %s\\n' "$(id -gn -- "$n")"
  printf 'groups %s\\n' "$(id -Gn -- "$n")"
  if [ -n "$want" ]; then
    s=$(getent shadow -- "$n" | cut -d: -f2)
    if [ "$s" = "$want" ]; then echo "pw 1"; else echo "pw 0"; fi
  fi
fi
for g in "$@"; do
  if x=$(getent group -- "$g"); then printf 'group %s %s\\n' "$g" "$x"; else printf 'nogroup %s\\n' "$g"; fi
done
exit 0
`;

/** Args: GROUP. Prints `group ENTRY` when it exists. */
export const GROUP_FACTS_SCRIPT = `
if x=$(getent group -- "$1"); then printf 'group %s\\n' "$x"; fi
exit 0
`;

export function parsePasswd(line: string): PasswdEntry | undefined {
  const f = line.split(':');
  if (f.length < 7) return undefined;
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), comment: f[4], home: f[5], shell: f[6] };
}

export function parseGroup(line: string): GroupEntry | undefined {
  const f = line.split(':');
  if (f.length < 4) return undefined;
  return { name: f[0], gid: Number(f[2]), members: f[3] === '' ? [] : f[3].split(',') };
}

export function parseUserFacts(stdout: string): UserFacts {
  const facts: UserFacts = { groups: [], lookedUp: {} };
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'passwd') facts.user = parsePasswd(rest);
    else if (key === 'primary') facts.primary = rest;
    else if (key === 'groups') facts.groups = rest.split(' ').filter((g) => g !== '');
    else if (key === 'pw') facts.passwordMatches = rest === '1';
    else if (key === 'group') {
      const s = rest.indexOf(' ');
      facts.lookedUp[rest.slice(0, s)] = parseGroup(rest.slice(s + 1)) ?? null;
    } else if (key === 'nogroup') facts.lookedUp[rest] = null;
  }
  return facts;
}

export function parseGroupFacts(stdout: string): GroupEntry | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('group '));
  return line ? parseGroup(line.slice(6)) : undefined;
}

// ---------------------------------------------------------------------------
// user

export interface UserParams {
  name: string;
  state?: 'present' | 'absent';
  uid?: number;
  group?: string;
  groups?: string[] | string;
  append?: boolean;
  shell?: string;
  home?: string;
  create_home?: boolean;
  system?: boolean;
  comment?: string;
  password?: string;
  update_password?: 'always' | 'on_create';
  remove?: boolean;
}

export function wantedGroups(params: UserParams): string[] | undefined {
  const g = params.groups;
  if (g === undefined) return undefined;
  const list = typeof g === 'string' ? g.split(',') : g;
  return list.map((x) => x.trim()).filter((x) => x !== '');
}

/** The facts command of a user: the groups to look up are the primary and supplementary ones asked for. */
export function userFactsCommand(params: UserParams): { script: string; args: string[] } {
  const groups = [...(params.group !== undefined ? [params.group] : []), ...(wantedGroups(params) ?? [])];
  return { script: USER_FACTS_SCRIPT, args: [params.name, ...new Set(groups)] };
}

export interface AccountStep {
  change: Change;
  argv: string[];
  /** chpasswd -e: the command reads `name:hash` on stdin, built from the params when it runs (never kept in a plan). */
  password?: true;
}

function groupName(facts: UserFacts, key: string): string {
  const g = facts.lookedUp[key];
  if (!g) throw new ModuleError(`user: group ${key} does not exist`, { group: key });
  return g.name;
}

const HIDDEN = '(hidden)';

/** The steps that make the user as asked (pure: from the facts alone). */
export function userSteps(params: UserParams, facts: UserFacts): AccountStep[] {
  const name = params.name;
  const state = params.state ?? 'present';
  const u = facts.user;
  if (state === 'absent') {
    if (!u) return [];
    return [{ change: { field: 'user', before: name, after: '(absent)' }, argv: ['userdel', ...(params.remove ? ['-r'] : []), '--', name] }];
  }
  const primary = params.group !== undefined ? groupName(facts, params.group) : undefined;
  const wanted = wantedGroups(params)?.map((g) => groupName(facts, g));
  const steps: AccountStep[] = [];
  const chpasswd = (): AccountStep => ({ change: { field: 'password', before: HIDDEN, after: HIDDEN }, argv: ['chpasswd', '-e'], password: true });
  if (!u) {
    const argv = ['useradd'];
    if (params.uid !== undefined) argv.push('-u', String(params.uid));
    if (primary !== undefined) argv.push('-g', primary);
    if (wanted !== undefined && wanted.length) argv.push('-G', wanted.join(','));
    if (params.shell !== undefined) argv.push('-s', params.shell);
    if (params.home !== undefined) argv.push('-d', params.home);
    if (params.comment !== undefined) argv.push('-c', params.comment);
    if (params.system) argv.push('-r');
    argv.push(params.create_home === false ? '-M' : '-m');
    argv.push('--', name);
    steps.push({ change: { field: 'user', before: '(absent)', after: name }, argv });
    if (params.password !== undefined) steps.push(chpasswd());
    return steps;
  }
  const argv = ['usermod'];
  const changes: Change[] = [];
  if (params.uid !== undefined && params.uid !== u.uid) {
    argv.push('-u', String(params.uid));
    changes.push({ field: 'uid', before: u.uid, after: params.uid });
  }
  if (primary !== undefined && primary !== facts.primary) {
    argv.push('-g', primary);
    changes.push({ field: 'group', before: facts.primary, after: primary });
  }
  if (wanted !== undefined) {
    const pg = primary ?? facts.primary;
    const current = facts.groups.filter((g) => g !== facts.primary);
    const want = [...new Set(wanted.filter((g) => g !== pg))];
    if (params.append) {
      const missing = want.filter((g) => !current.includes(g));
      if (missing.length) {
        argv.push('-a', '-G', missing.join(','));
        changes.push({ field: 'groups', before: current.join(','), after: [...current, ...missing].join(',') });
      }
    } else {
      const same = want.length === current.length && want.every((g) => current.includes(g));
      if (!same) {
        argv.push('-G', want.join(','));
        changes.push({ field: 'groups', before: current.join(','), after: want.join(',') });
      }
    }
  }
  if (params.shell !== undefined && params.shell !== u.shell) {
    argv.push('-s', params.shell);
    changes.push({ field: 'shell', before: u.shell, after: params.shell });
  }
  if (params.home !== undefined && params.home !== u.home) {
    argv.push('-d', params.home);
    changes.push({ field: 'home', before: u.home, after: params.home });
  }
  if (params.comment !== undefined && params.comment !== u.comment) {
    argv.push('-c', params.comment);
    changes.push({ field: 'comment', before: u.comment, after: params.comment });
  }
  if (changes.length) {
    argv.push('--', name);
    // One usermod for every field; the first change carries the argv, the rest ride along.
    steps.push({ change: changes[0], argv }, ...changes.slice(1).map((change) => ({ change, argv: [] })));
  }
  if (params.password !== undefined && (params.update_password ?? 'always') === 'always' && facts.passwordMatches === false) {
    steps.push(chpasswd());
  }
  return steps;
}

export async function runSteps(ctx: ModuleContext, module: string, steps: AccountStep[], params?: UserParams): Promise<void> {
  for (const s of steps) {
    if (s.argv.length === 0) continue;
    const r = await ctx.run(s.argv, s.password && params ? { stdin: `${params.name}:${params.password ?? ''}\n` } : undefined);
    if (r.exitCode !== 0) throw new CommandError(ctx.host, s.argv, r.exitCode, r.stderr || r.stdout, module);
  }
}

export async function gatherUserFacts(ctx: ModuleContext, params: UserParams): Promise<UserFacts> {
  const cmd = userFactsCommand(params);
  const stdin = params.password !== undefined ? `${params.password}\n` : '';
  const r = await ctx.run(cmd, { stdin });
  if (r.exitCode !== 0) throw new CommandError(ctx.host, `user facts of ${params.name}`, r.exitCode, r.stderr, `cannot look up user ${params.name}`);
  return parseUserFacts(r.stdout);
}

// ---------------------------------------------------------------------------
// group

export interface GroupParams {
  name: string;
  gid?: number;
  system?: boolean;
  state?: 'present' | 'absent';
}

export function groupFactsCommand(name: string): { script: string; args: string[] } {
  return { script: GROUP_FACTS_SCRIPT, args: [name] };
}

export function groupSteps(params: GroupParams, g: GroupEntry | undefined): AccountStep[] {
  const name = params.name;
  if ((params.state ?? 'present') === 'absent') {
    return g ? [{ change: { field: 'group', before: name, after: '(absent)' }, argv: ['groupdel', '--', name] }] : [];
  }
  if (!g) {
    const argv = ['groupadd'];
    if (params.gid !== undefined) argv.push('-g', String(params.gid));
    if (params.system) argv.push('-r');
    argv.push('--', name);
    return [{ change: { field: 'group', before: '(absent)', after: name }, argv }];
  }
  if (params.gid !== undefined && params.gid !== g.gid) {
    return [{ change: { field: 'gid', before: g.gid, after: params.gid }, argv: ['groupmod', '-g', String(params.gid), '--', name] }];
  }
  return [];
}
