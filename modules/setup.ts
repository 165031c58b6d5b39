import { defineModule } from '../src/core/module.js';
import type { Command } from '../src/transport/types.js';
import { runScript } from './_lib/remote.js';

export interface SetupParams {
  gather_subset?: string | string[];
  gather_timeout?: number;
}

/**
 * sh script: one `key<TAB>value` line per fact, every value on one line (env is base64 of
 * `env -0`). Every probe tolerates a missing tool, so a minimal host still answers.
 */
export const SETUP_SCRIPT = `
f() { printf '%s\\t%s\\n' "$1" "$2"; }
f hostname "$(hostname -s 2>/dev/null || uname -n)"
f nodename "$(uname -n)"
f fqdn "$(hostname -f 2>/dev/null || uname -n)"
f system "$(uname -s)"
f kernel "$(uname -r)"
f kernel_version "$(uname -v)"
f machine "$(uname -m)"
if [ -r /etc/os-release ]; then
  . /etc/os-release
  f os_id "\${ID:-}"; f os_id_like "\${ID_LIKE:-}"; f os_version_id "\${VERSION_ID:-}"
  f os_codename "\${VERSION_CODENAME:-}"; f os_name "\${NAME:-}"
fi
[ -r /etc/debian_version ] && f debian_version "$(cat /etc/debian_version)"
f nproc "$(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"
[ -r /proc/meminfo ] && awk '/^(MemTotal|MemFree|SwapTotal|SwapFree):/ { printf "%s\\t%d\\n", $1, $2 / 1024 }' /proc/meminfo
if command -v ip >/dev/null 2>&1; then
  set -- $(ip -4 route show default 2>/dev/null | head -n 1)
  while [ $# -gt 0 ]; do
    case $1 in via) f gateway "$2" ;; dev) f interface "$2" ;; esac
    shift
  done
  f ipv4_all "$(ip -4 -o addr show 2>/dev/null | awk '$4 !~ /^127\\./ { sub(/\\/.*/, "", $4); printf "%s %s,", $2, $4 }')"
else
  f ipv4_all "$(hostname -I 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) printf "? %s,", $i }')"
fi
f user_id "$(id -un)"; f user_uid "$(id -u)"; f user_gid "$(id -g)"
f user_dir "\${HOME:-}"; f user_shell "$(getent passwd "$(id -un)" 2>/dev/null | cut -d: -f7)"
for m in apt-get:apt dnf:dnf yum:yum apk:apk zypper:zypper pacman:pacman; do
  if command -v "\${m%%:*}" >/dev/null 2>&1; then f pkg_mgr "\${m#*:}"; break; fi
done
if [ -d /run/systemd/system ]; then f service_mgr systemd
elif command -v openrc >/dev/null 2>&1; then f service_mgr openrc
else
  case $(cat /proc/1/comm 2>/dev/null) in
    systemd|upstart|runit|runsvdir|s6-svscan) f service_mgr "$(cat /proc/1/comm)" ;;
    *) if [ -d /etc/init.d ]; then f service_mgr sysvinit; else f service_mgr service; fi ;;
  esac
fi
command -v python3 >/dev/null 2>&1 && f python_version "$(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null)"
f date "$(date '+%s %Y %m %d %H %M %S %Z %z')"
[ -r /etc/resolv.conf ] && f nameservers "$(awk '$1 == "nameserver" { printf "%s ", $2 }' /etc/resolv.conf)" && f search "$(awk '$1 == "search" { $1 = ""; print }' /etc/resolv.conf)"
if [ -f /.dockerenv ]; then f virtualization docker
elif grep -qa container=lxc /proc/1/environ 2>/dev/null; then f virtualization lxc; fi
f env "$(env -0 | base64 | tr -d '\\n')"
`;

/** The one command setup runs (pure). */
export function setupCommand(): Command {
  return { script: SETUP_SCRIPT, args: [] };
}

/** Distribution IDs Ansible spells differently. */
const DISTRIBUTIONS: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', centos: 'CentOS', rhel: 'RedHat', fedora: 'Fedora', rocky: 'Rocky',
  almalinux: 'AlmaLinux', alpine: 'Alpine', arch: 'Archlinux', amzn: 'Amazon', ol: 'OracleLinux',
  'opensuse-leap': 'openSUSE Leap', sles: 'SLES', linuxmint: 'Linux Mint', raspbian: 'Debian',
};
const FAMILIES: Record<string, string> = {
  Debian: 'Debian', Ubuntu: 'Debian', 'Linux Mint': 'Debian', CentOS: 'RedHat', RedHat: 'RedHat', Fedora: 'RedHat',
  Rocky: 'RedHat', AlmaLinux: 'RedHat', Amazon: 'RedHat', OracleLinux: 'RedHat', Alpine: 'Alpine',
  Archlinux: 'Archlinux', 'openSUSE Leap': 'Suse', SLES: 'Suse',
};

/** The facts, named as in `ansible_facts` (without the ansible_ prefix), from the script's output (pure). */
export function parseSetup(stdout: string): Record<string, unknown> {
  const f: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) f[line.slice(0, tab)] = line.slice(tab + 1);
  }
  const id = f.os_id ?? '';
  const distribution = DISTRIBUTIONS[id] ?? (id ? id.charAt(0).toUpperCase() + id.slice(1) : f.system ?? 'Unknown');
  // Debian's point release is in /etc/debian_version (12.5), as Ansible reports it.
  const version = id === 'debian' && /^\d+(\.\d+)*$/.test(f.debian_version ?? '') ? f.debian_version! : (f.os_version_id ?? '');
  const likeFamily = (f.os_id_like ?? '').split(/\s+/).map((l) => FAMILIES[DISTRIBUTIONS[l] ?? ''])
    .find(Boolean);
  const mb = (k: string) => (f[k] !== undefined ? Number(f[k]) : undefined);
  const addresses = (f.ipv4_all ?? '').split(',').filter(Boolean).map((e) => {
    const [iface, address] = e.split(' ');
    return { iface: iface!, address: address! };
  });
  const defaultAddr = addresses.find((a) => a.iface === f.interface) ?? addresses[0];
  const [epoch, year, month, day, hour, minute, second, tz, offset] = (f.date ?? '').split(' ');
  const env: Record<string, string> = {};
  for (const entry of Buffer.from(f.env ?? '', 'base64').toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const fqdn = f.fqdn ?? f.hostname ?? '';
  const facts: Record<string, unknown> = {
    hostname: f.hostname,
    nodename: f.nodename,
    fqdn,
    domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
    system: f.system,
    kernel: f.kernel,
    kernel_version: f.kernel_version,
    machine: f.machine,
    architecture: f.machine,
    distribution,
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    distribution_release: f.os_codename ?? '',
    os_family: FAMILIES[distribution] ?? likeFamily ?? distribution,
    processor_vcpus: mb('nproc'),
    processor_nproc: mb('nproc'),
    memtotal_mb: mb('MemTotal:'),
    memfree_mb: mb('MemFree:'),
    swaptotal_mb: mb('SwapTotal:'),
    swapfree_mb: mb('SwapFree:'),
    default_ipv4: defaultAddr ? { address: defaultAddr.address, interface: f.interface ?? defaultAddr.iface, gateway: f.gateway ?? '' } : {},
    all_ipv4_addresses: addresses.map((a) => a.address),
    user_id: f.user_id,
    user_uid: mb('user_uid'),
    user_gid: mb('user_gid'),
    user_dir: f.user_dir,
    user_shell: f.user_shell,
    pkg_mgr: f.pkg_mgr ?? 'unknown',
    service_mgr: f.service_mgr ?? 'unknown',
    date_time: epoch
      ? { epoch, year, month, day, hour, minute, second, date: `${year}-${month}-${day}`, time: `${hour}:${minute}:${second}`, tz, tz_offset: offset, iso8601: new Date(Number(epoch) * 1000).toISOString().replace(/\.\d+Z$/, 'Z') }
      : {},
    dns: { nameservers: (f.nameservers ?? '').split(' ').filter(Boolean), search: (f.search ?? '').split(' ').filter(Boolean) },
    env,
  };
  if (f.python_version) facts.python_version = f.python_version;
  if (f.virtualization) facts.virtualization_type = f.virtualization;
  for (const [k, v] of Object.entries(facts)) if (v === undefined) delete facts[k];
  return facts;
}

/** The variables a gathering sets: `ansible_facts` and each fact as `ansible_<name>` (Ansible's INJECT_FACTS_AS_VARS). */
export function factVars(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ansible_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v;
  return out;
}

export default defineModule<SetupParams, Record<string, unknown>>({
  name: 'setup',
  description:
    'Gather the common facts of a host in one round trip (what a play\'s `gather_facts: true` runs ' +
    'first, as "Gathering Facts"): ansible_hostname, ansible_fqdn, ansible_distribution (+ _version, ' +
    '_major_version, _release), ansible_os_family, ansible_kernel, ansible_architecture, ' +
    'ansible_processor_vcpus, ansible_memtotal_mb, ansible_default_ipv4, ansible_all_ipv4_addresses, ' +
    'ansible_user_id, ansible_pkg_mgr, ansible_service_mgr, ansible_date_time, ansible_dns, ' +
    'ansible_env, ansible_python_version, also under ansible_facts without the prefix. Read-only, ' +
    'runs in check mode. gather_subset and gather_timeout are accepted; every fact above is always gathered.',
  example: `- name: Learn about the host
  setup:
- debug:
    msg: "{{ ansible_distribution }} {{ ansible_distribution_version }} with {{ ansible_memtotal_mb }} MB"
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      gather_subset: {
        type: ['string', 'array'],
        items: { type: 'string' },
        description: 'Accepted for Ansible compatibility; the common facts are always gathered.',
      },
      gather_timeout: { type: 'integer', minimum: 1, description: 'Accepted for Ansible compatibility.' },
    },
  },
  readOnly: true,
  async plan(ctx) {
    const cmd = setupCommand() as { script: string; args: string[] };
    const r = await runScript(ctx, 'gather facts', cmd.script, cmd.args);
    const facts = parseSetup(r.stdout);
    return { changes: [], facts, result: { ansible_facts: facts }, effects: { facts: factVars(facts) } };
  },
  async apply(_ctx, _params, plan) {
    return { result: { ansible_facts: plan.facts }, changed: false };
  },
});
