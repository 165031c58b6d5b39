/** rsyslog as a log_agent: imfile inputs forwarded with omfwd, optionally an imtcp/imudp collector. */
import type { Command } from '../../src/transport/types.js';
import type { LogAgent, LogAgentSpec } from './log-agents.js';

/**
 * Check a drop-in config on its own: `rsyslogd -N1 -f WRAPPER`, where the wrapper sets the
 * working directory the main config would (imfile refuses to run without one) and includes
 * the candidate. $1 candidate file, $2 working directory.
 */
export const RSYSLOG_VALIDATE_SCRIPT = `w=$(mktemp) || exit 1
trap 'rm -f -- "$w"' EXIT
printf 'global(workDirectory="%s")\\ninclude(file="%s" mode="required")\\n' "$2" "$1" > "$w" || exit 1
rsyslogd -N1 -f "$w"
`;

/** Validate argv for the put hook (`%s` = the candidate file). */
export function rsyslogValidateArgv(file = '%s', workDir = '/var/spool/rsyslog'): string[] {
  return ['sh', '-c', RSYSLOG_VALIDATE_SCRIPT, 'rsyslog-validate', file, workDir];
}

/** Restart through the init script (`service`), which the hosts without systemd have. */
export function rsyslogRestartArgv(): string[] {
  return ['service', 'rsyslog', 'restart'];
}

/** An rsyslog string literal: the value inside double quotes, with \ and " escaped. */
export function rsq(v: string): string {
  if (/[\n\r]/.test(v)) throw new TypeError(`rsyslog value must be one line: ${JSON.stringify(v)}`);
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const ident = (name: string) => `runbook_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function renderRsyslog(s: LogAgentSpec): string {
  const id = ident(s.name);
  const out: string[] = [`# Managed by runbook (log_agent ${s.name}). Local edits are replaced.`];
  if (s.sources.length > 0) out.push('module(load="imfile")');
  if (s.listen) out.push(`module(load="${s.listen.protocol === 'tcp' ? 'imtcp' : 'imudp'}")`);
  const containers = s.sources.some((src) => src.containers);
  if (containers && s.forward_to) out.push('module(load="mmjsonparse")');
  if (s.forward_to && s.sources.length > 0) {
    const f = s.forward_to;
    const fwd = (template: string) =>
      `action(type="omfwd" target=${rsq(f.host)} port=${rsq(String(f.port))} protocol=${rsq(f.protocol)}` +
      ` template=${rsq(template)}` +
      (f.protocol === 'tcp'
        ? ' action.resumeRetryCount="-1" queue.type="LinkedList" queue.size="10000" action.resumeInterval="2"'
        : '') +
      ')';
    out.push('', `ruleset(name=${rsq(`${id}_forward`)}) {`, `  ${fwd('RSYSLOG_ForwardFormat')}`, '}');
    if (containers) {
      // A docker json-file line is {"log":"text\n","stream":…,"time":…}: ship the text alone.
      out.push(
        `template(name=${rsq(`${id}_container`)} type="string" string="<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag:1:32% %$!log:::drop-last-lf%")`,
        `ruleset(name=${rsq(`${id}_containers`)}) {`,
        '  action(type="mmjsonparse" cookie="")',
        `  if $parsesuccess == "OK" then ${fwd(`${id}_container`)}`,
        `  else ${fwd('RSYSLOG_ForwardFormat')}`,
        '}',
      );
    }
  }
  s.sources.forEach((src, i) => {
    const file = src.containers ? `${s.docker_root}/containers/*/*-json.log` : src.path!;
    const rs = src.containers ? `${id}_containers` : `${id}_forward`;
    const ruleset = s.forward_to ? ` ruleset=${rsq(rs)}` : '';
    out.push(`input(type="imfile" file=${rsq(file)} tag=${rsq(`${src.tag}:`)} facility="local6" severity="info" addMetadata="on"${ruleset})`);
    if (i === s.sources.length - 1) out.push('');
  });
  if (s.listen) {
    const l = s.listen;
    out.push(
      `ruleset(name=${rsq(`${id}_collect`)}) {`,
      `  action(type="omfile" file=${rsq(l.path)} template="RSYSLOG_FileFormat")`,
      '}',
      `input(type=${rsq(l.protocol === 'tcp' ? 'imtcp' : 'imudp')} port=${rsq(String(l.port))} ruleset=${rsq(`${id}_collect`)})`,
      '',
    );
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/** Modules a config loads with module(load="...") (rsyslog refuses loading one twice). */
export function loadedModules(text: string): string[] {
  return [...text.matchAll(/^\s*module\(load="([^"]+)"/gm)].map((m) => m[1]!);
}

/**
 * Prints `MODULE FILE` for every other rsyslog config file (main config and rsyslog.d/*.conf,
 * except $1) that already loads one of the modules $2...
 */
export const RSYSLOG_MODULE_USERS_SCRIPT = String.raw`own=$1 q='"'; shift
for f in /etc/rsyslog.conf /etc/rsyslog.d/*.conf; do
  if [ ! -f "$f" ] || [ "$f" = "$own" ]; then continue; fi
  for m; do
    if grep -Eq "^[[:space:]]*(module[[:space:]]*\([[:space:]]*load[[:space:]]*=[[:space:]]*$q$m$q|[\$]ModLoad[[:space:]]+$m([[:space:]]|$))" "$f"; then
      echo "$m $f"
    fi
  done
done
`;

export function rsyslogModuleUsersCommand(ownPath: string, modules: readonly string[]): Command {
  return { script: RSYSLOG_MODULE_USERS_SCRIPT, args: [ownPath, ...modules] };
}

export const rsyslogAgent: LogAgent = {
  name: 'rsyslog',
  configPath: (s) => `/etc/rsyslog.d/60-runbook-${s.name}.conf`,
  render: renderRsyslog,
  validateArgv: () => rsyslogValidateArgv(),
  restart: () => rsyslogRestartArgv(),
  conflicts: (path, text) => {
    const mods = loadedModules(text);
    return mods.length ? rsyslogModuleUsersCommand(path, mods) : undefined;
  },
};
