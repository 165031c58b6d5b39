import { CommandError, ModuleError } from '../../src/core/errors.js';
import type { Change, ModuleContext, Plan } from '../../src/core/module.js';
import type { Command } from '../../src/transport/types.js';

/**
 * Debian packages (apt, package): what is installed (dpkg-query), what apt would install
 * (apt-cache policy) and how old the package lists are, in one round trip; then apt-get update /
 * install / remove as exact commands. Check mode only reads.
 */

export const PACKAGE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9+._-]*(:[A-Za-z0-9-]+)?$';

export type PackageState = 'present' | 'absent' | 'latest';

export interface AptParams {
  name?: string[] | string;
  state?: PackageState | 'installed' | 'removed';
  update_cache?: boolean;
  cache_valid_time?: number;
  purge?: boolean;
  install_recommends?: boolean;
}

export interface PackageFacts {
  apt: boolean;
  now: number;
  /** mtime of the package lists (seconds), undefined when never updated. */
  cacheTime?: number;
  /** Installed version by package (only packages dpkg reports installed). */
  installed: Record<string, string>;
  /** Candidate version apt would install ('' or absent: none). */
  candidate: Record<string, string>;
}

/**
 * Args: NAME... Prints `apt 1` (or `noapt`), `now SECONDS`, `cache SECONDS`, `pkg NAME STATUS|VERSION`
 * per name dpkg knows, then apt-cache policy's output after a `policy` line.
 */
export const APT_FACTS_SCRIPT = `
command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 || { echo noapt; exit 0; }
echo "apt 1"
printf 'now %s\\n' "$(date +%s)"
for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do
  if [ -e "$f" ]; then printf 'cache %s\\n' "$(stat -c %Y -- "$f")"; break; fi
done
[ $# -gt 0 ] || exit 0
for p in "$@"; do
  s=$(dpkg-query -W -f='\${db:Status-Abbrev}|\${Version}' -- "$p" 2>/dev/null) && printf 'pkg %s %s\\n' "$p" "$s"
done
echo policy
apt-cache policy -- "$@" 2>/dev/null
exit 0
`;

export function packageNames(params: AptParams): string[] {
  const n = params.name;
  if (n === undefined) return [];
  const list = typeof n === 'string' ? n.split(',') : n;
  return [...new Set(list.map((x) => x.trim()).filter((x) => x !== ''))];
}

export function aptFactsCommand(names: readonly string[]): { script: string; args: string[] } {
  return { script: APT_FACTS_SCRIPT, args: [...names] };
}

export function parseAptFacts(stdout: string): PackageFacts {
  const facts: PackageFacts = { apt: false, now: 0, installed: {}, candidate: {} };
  const lines = stdout.split('\n');
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === 'policy') break;
    const [key, ...rest] = line.split(' ');
    if (key === 'apt') facts.apt = true;
    else if (key === 'now') facts.now = Number(rest[0]);
    else if (key === 'cache') facts.cacheTime = Number(rest[0]);
    else if (key === 'pkg') {
      const [status, version] = rest.slice(1).join(' ').split('|');
      // Status-Abbrev: want, status, error ("ii "); status i = installed (others: config-files, half…).
      if (status?.[1] === 'i' && version) facts.installed[rest[0]] = version;
    }
  }
  let cur: string | undefined;
  for (i++; i < lines.length; i++) {
    const line = lines[i];
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = head[1];
      continue;
    }
    const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (cand && cur !== undefined) facts.candidate[cur] = cand[1] === '(none)' ? '' : cand[1];
  }
  return facts;
}

export interface AptStep {
  change: Change;
  command: Command;
}

/** apt-get update, then a stamp so cache_valid_time also works when the lists did not change. */
export const APT_UPDATE_SCRIPT = `apt-get update -q || exit 1
mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp`;

const NONINTERACTIVE = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-y', '-q'];
const KEEP_CONFIG = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

export function normalState(s: AptParams['state']): PackageState {
  return s === 'installed' || s === undefined ? 'present' : s === 'removed' ? 'absent' : s;
}

/** The steps that bring the packages to the wanted state (pure: from the facts alone). */
export function aptSteps(module: string, params: AptParams, facts: PackageFacts): AptStep[] {
  const names = packageNames(params);
  const state = normalState(params.state);
  const steps: AptStep[] = [];
  let updating = false;
  if (params.update_cache) {
    const age = facts.cacheTime === undefined ? Infinity : facts.now - facts.cacheTime;
    if (params.cache_valid_time === undefined || age > params.cache_valid_time) {
      updating = true;
      steps.push({ change: { field: 'cache', after: 'updated' }, command: { script: APT_UPDATE_SCRIPT } });
    }
  }
  if (state === 'absent') {
    const gone = names.filter((n) => facts.installed[n] !== undefined);
    if (gone.length) {
      steps.push({
        change: { field: 'packages', before: gone.map((n) => `${n}=${facts.installed[n]}`).join(' '), after: '(absent)' },
        command: [...NONINTERACTIVE, params.purge ? 'purge' : 'remove', ...gone],
      });
    }
    return steps;
  }
  const unknown = names.filter((n) => facts.installed[n] === undefined && !facts.candidate[n]);
  if (unknown.length && !updating) {
    throw new ModuleError(`${module}: no package ${unknown.join(', ')} in the package lists (update_cache: true to refresh them)`, {
      packages: unknown,
    });
  }
  const want = names.filter((n) => {
    const have = facts.installed[n];
    if (have === undefined) return true;
    return state === 'latest' && !!facts.candidate[n] && facts.candidate[n] !== have;
  });
  if (want.length) {
    const recommends = params.install_recommends === undefined ? [] : [params.install_recommends ? '--install-recommends' : '--no-install-recommends'];
    steps.push({
      change: {
        field: 'packages',
        before: want.map((n) => (facts.installed[n] ? `${n}=${facts.installed[n]}` : `${n} (absent)`)).join(' '),
        after: want.map((n) => (facts.candidate[n] ? `${n}=${facts.candidate[n]}` : n)).join(' '),
      },
      command: [...NONINTERACTIVE, ...KEEP_CONFIG, ...recommends, 'install', ...want],
    });
  }
  return steps;
}

export interface AptPlanFacts {
  facts: PackageFacts;
  steps: AptStep[];
}

function show(c: Command): string {
  return Array.isArray(c) ? c.join(' ') : 'apt-get update';
}

export async function planApt(module: string, ctx: ModuleContext, params: AptParams): Promise<Plan<AptPlanFacts>> {
  const names = packageNames(params);
  const r = await ctx.run(aptFactsCommand(names));
  if (r.exitCode !== 0) throw new CommandError(ctx.host, `${module} facts`, r.exitCode, r.stderr, 'cannot read the package state');
  const facts = parseAptFacts(r.stdout);
  if (!facts.apt) throw new ModuleError(`${module}: the host has no apt-get/dpkg (only Debian-family hosts are supported)`);
  const steps = aptSteps(module, params, facts);
  return {
    changes: steps.map((s) => s.change),
    facts: { facts, steps },
    result: { cache_updated: steps.some((s) => s.change.field === 'cache') },
    summary: steps.map((s) => show(s.command)).join('; ') || undefined,
  };
}

export async function applyApt(module: string, ctx: ModuleContext, plan: Plan<AptPlanFacts>): Promise<{ result: Record<string, unknown> }> {
  let stdout = '';
  for (const s of plan.facts!.steps) {
    const r = await ctx.run(s.command);
    if (r.exitCode !== 0) throw new CommandError(ctx.host, show(s.command), r.exitCode, r.stderr || r.stdout, module);
    stdout += r.stdout;
  }
  return { result: { cache_updated: plan.facts!.steps.some((s) => s.change.field === 'cache'), stdout } };
}
