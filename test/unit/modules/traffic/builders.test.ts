import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  backendStates,
  nginxReloadCommand,
  nginxReloadWaitCommand,
  NGINX_RELOAD_SCRIPT,
  nginxStartCommand,
  nginxStatusCommand,
  nginxTestCommand,
  removeFileCommand,
  renderSite,
  setBackendState,
  type SiteSpec,
} from '../../../../modules/_lib/nginx.js';
import { commandProbe, curlArgv, excerpt, judgeHttp, parseCurlOutput, tcpProbeArgv, CURL_STATUS_MARK } from '../../../../modules/_lib/health.js';
import { loadedModules, rsyslogModuleUsersCommand, RSYSLOG_MODULE_USERS_SCRIPT, renderRsyslog, rsq, rsyslogRestartArgv, rsyslogValidateArgv, RSYSLOG_VALIDATE_SCRIPT } from '../../../../modules/_lib/rsyslog.js';
import { logAgents } from '../../../../modules/log_agent.js';
import { groupBackends } from '../../../../modules/nginx_lb.js';
import { validateParams } from '../../../../src/executor/params.js';
import nginxLb from '../../../../modules/nginx_lb.js';
import healthCheck from '../../../../modules/health_check.js';
import logAgent from '../../../../modules/log_agent.js';
import { putCommand, PUT_SCRIPT, PUT_VALIDATE_FAILED } from '../../../../src/transport/file-scripts.js';
import { LocalTransport } from '../../../../src/transport/local.js';

const spec: SiteSpec = {
  name: 'web',
  upstream: 'web',
  listen: '80',
  server_name: '_',
  method: 'round_robin',
  max_fails: 3,
  fail_timeout: '10s',
  proxy_next_upstream: ['error', 'timeout'],
  proxy_next_upstream_tries: 2,
  backends: [{ address: '10.0.0.1:8080' }, { address: '10.0.0.2:8080', weight: 2 }, { address: '10.0.0.3:8080', backup: true, state: 'drained' }],
};

describe('nginx commands', () => {
  it('are exact argv', () => {
    expect(nginxTestCommand()).toEqual(['nginx', '-t']);
    expect(nginxReloadCommand()).toEqual(['nginx', '-s', 'reload']);
    expect(nginxStartCommand()).toEqual(['nginx']);
    expect(removeFileCommand('/etc/nginx/conf.d/a b.conf')).toEqual(['rm', '-f', '--', '/etc/nginx/conf.d/a b.conf']);
    expect(nginxReloadWaitCommand()).toEqual({ script: NGINX_RELOAD_SCRIPT, args: ['/run/nginx.pid', '100', '/var/log/nginx/error.log'] });
    expect(NGINX_RELOAD_SCRIPT).toContain('out=$(nginx -s reload 2>&1) ||');
    expect(nginxStatusCommand()).toEqual({ script: expect.stringContaining('kill -0 "$pid"'), args: ['/run/nginx.pid'] });
  });
});

describe('nginx site', () => {
  it('renders the upstream and the proxying server', () => {
    expect(renderSite(spec)).toBe(`# Managed by runbook (nginx_lb web). Local edits are replaced.
upstream web {
    server 10.0.0.1:8080 max_fails=3 fail_timeout=10s;
    server 10.0.0.2:8080 weight=2 max_fails=3 fail_timeout=10s;
    server 10.0.0.3:8080 max_fails=3 fail_timeout=10s backup down;
}

server {
    listen 80;
    server_name _;
    location / {
        proxy_pass http://web;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
    }
}
`);
    expect(renderSite({ ...spec, method: 'least_conn' })).toContain('upstream web {\n    least_conn;\n');
    expect(renderSite({ ...spec, method: 'ip_hash' })).toContain('upstream web {\n    ip_hash;\n');
  });

  it('refuses values that would break out of a directive', () => {
    expect(() => renderSite({ ...spec, backends: [{ address: '1.2.3.4:80; include /etc/passwd' }] })).toThrow(/one nginx word/);
    expect(() => renderSite({ ...spec, server_name: 'a}b' })).toThrow(/server_name 'a}b'/);
    expect(() => renderSite({ ...spec, backends: [] })).toThrow(/no backends/);
  });

  it('drains and re-enables one server line, leaving every other byte alone', () => {
    const text = renderSite({ ...spec, backends: spec.backends.map((b) => ({ ...b, state: undefined })) });
    const drained = setBackendState(text, '10.0.0.2:8080', 'drained')!;
    expect(drained).toBe(text.replace('weight=2 max_fails=3 fail_timeout=10s;', 'weight=2 max_fails=3 fail_timeout=10s down;'));
    expect(setBackendState(drained, '10.0.0.2:8080', 'drained')).toBe(drained);
    expect(setBackendState(drained, '10.0.0.2:8080', 'active')).toBe(text);
    expect(setBackendState(text, '10.0.0.9:8080', 'drained')).toBeNull();
    expect(backendStates(drained)).toEqual({ '10.0.0.1:8080': 'active', '10.0.0.2:8080': 'drained', '10.0.0.3:8080': 'active' });
    // a `server` outside an upstream (e.g. a server block's name) is never touched
    expect(setBackendState('server {\n    server 10.0.0.2:8080;\n}\n', '10.0.0.2:8080', 'drained')).toBeNull();
  });

  it('builds group backends from each host address variable, then ansible_host, then the name', () => {
    const vars = {
      groups: { web: ['a', 'b', 'c'] },
      hostvars: { a: { private_address: '10.0.0.1', ansible_host: '127.0.0.1' }, b: { ansible_host: 'b.example' }, c: {} },
    };
    expect(groupBackends(vars, 'web', 8080, 'private_address')).toEqual([
      { address: '10.0.0.1:8080' },
      { address: 'b.example:8080' },
      { address: 'c:8080' },
    ]);
    expect(() => groupBackends(vars, 'db', 1, 'private_address')).toThrow(/inventory group 'db' has no hosts/);
  });

  it('schema: backends and group exclude each other; state needs backend', () => {
    expect(validateParams(nginxLb, { name: 'w', group: 'web', port: 80 }).ok).toBe(true);
    expect(validateParams(nginxLb, { name: 'w', group: 'web' }).ok).toBe(false);
    expect(validateParams(nginxLb, { name: 'w', group: 'web', port: 80, backends: [{ address: 'a:1' }] }).ok).toBe(false);
    expect(validateParams(nginxLb, { name: 'w', state: 'drained' }).ok).toBe(false);
    expect(validateParams(nginxLb, { name: 'w', backend: 'a:1', state: 'drained' }).ok).toBe(true);
    expect(validateParams(nginxLb, { name: '../x', backend: 'a:1', state: 'drained' }).ok).toBe(false);
  });
});

describe('health probes', () => {
  it('curl, tcp and command probes are exact argv', () => {
    expect(curlArgv({ url: 'http://127.0.0.1:8080/health', method: 'GET', headers: { Host: 'app' }, timeoutS: 5 })).toEqual([
      'curl', '-sS', '-X', 'GET', '--max-time', '5', '-o', '-', '-w', `${CURL_STATUS_MARK}%{http_code}`, '-H', 'Host: app', '--', 'http://127.0.0.1:8080/health',
    ]);
    expect(curlArgv({ url: 'http://x/', method: 'HEAD', timeoutS: 1 })).toEqual([
      'curl', '-sS', '-I', '--max-time', '1', '-o', '-', '-w', `${CURL_STATUS_MARK}%{http_code}`, '--', 'http://x/',
    ]);
    expect(tcpProbeArgv('db', 5432, 3)).toEqual(['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2" && exec 3>&-', 'tcp-probe', 'db', '5432']);
    expect(commandProbe('pg_isready -q')).toEqual({ script: 'pg_isready -q' });
    expect(commandProbe(['pg_isready', '-q'])).toEqual(['pg_isready', '-q']);
  });

  it('parses curl output and judges responses', () => {
    expect(parseCurlOutput(`ok v1\n${CURL_STATUS_MARK}200`)).toEqual({ body: 'ok v1\n', status: 200 });
    expect(parseCurlOutput(`${CURL_STATUS_MARK}000`)).toEqual({ body: '', status: null });
    expect(parseCurlOutput('')).toEqual({ body: '', status: null });
    expect(judgeHttp({ status: [200] }, 200, 'x')).toBeNull();
    expect(judgeHttp({ status: [200, 204] }, 404, 'x')).toBe('status 404, expected 200 or 204');
    expect(judgeHttp({ status: [200], body: '^ok' }, 200, 'nope')).toBe('body does not match /^ok/');
    expect(excerpt('a\n  b', 3)).toBe('a b');
    expect(excerpt('abcdef', 3)).toBe('abc…');
  });

  it('schema: exactly one of http, tcp, command; readOnly', () => {
    expect(healthCheck.readOnly).toBe(true);
    expect(validateParams(healthCheck, { tcp: { port: 80 } }).ok).toBe(true);
    expect(validateParams(healthCheck, { tcp: { port: 80 }, command: 'true' }).ok).toBe(false);
    expect(validateParams(healthCheck, {}).ok).toBe(false);
  });
});

describe('rsyslog agent', () => {
  it('commands are exact argv', () => {
    expect(rsyslogRestartArgv()).toEqual(['service', 'rsyslog', 'restart']);
    expect(rsyslogValidateArgv()).toEqual(['sh', '-c', RSYSLOG_VALIDATE_SCRIPT, 'rsyslog-validate', '%s', '/var/spool/rsyslog']);
    expect(RSYSLOG_VALIDATE_SCRIPT).toContain('rsyslogd -N1 -f "$w"');
    expect(logAgents.rsyslog!.validateArgv()).toContain('%s');
  });

  it('renders imfile inputs to an omfwd ruleset, and a collector', () => {
    const text = renderRsyslog({
      name: 'app',
      sources: [{ path: '/var/log/app/*.log', tag: 'app' }, { containers: true, tag: 'docker' }],
      forward_to: { host: '10.0.0.9', port: 514, protocol: 'udp' },
      docker_root: '/var/lib/docker',
    });
    expect(text).toBe(`# Managed by runbook (log_agent app). Local edits are replaced.
module(load="imfile")
module(load="mmjsonparse")

ruleset(name="runbook_app_forward") {
  action(type="omfwd" target="10.0.0.9" port="514" protocol="udp" template="RSYSLOG_ForwardFormat")
}
template(name="runbook_app_container" type="string" string="<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag:1:32% %$!log:::drop-last-lf%")
ruleset(name="runbook_app_containers") {
  action(type="mmjsonparse" cookie="")
  if $parsesuccess == "OK" then action(type="omfwd" target="10.0.0.9" port="514" protocol="udp" template="runbook_app_container")
  else action(type="omfwd" target="10.0.0.9" port="514" protocol="udp" template="RSYSLOG_ForwardFormat")
}
input(type="imfile" file="/var/log/app/*.log" tag="app:" facility="local6" severity="info" addMetadata="on" ruleset="runbook_app_forward")
input(type="imfile" file="/var/lib/docker/containers/*/*-json.log" tag="docker:" facility="local6" severity="info" addMetadata="on" ruleset="runbook_app_containers")
`);
    const tcp = renderRsyslog({ name: 'a', sources: [{ path: '/x', tag: 't' }], forward_to: { host: 'c', port: 1, protocol: 'tcp' }, docker_root: '/d' });
    expect(tcp).toContain('protocol="tcp" template="RSYSLOG_ForwardFormat" action.resumeRetryCount="-1"');
    expect(renderRsyslog({ name: 'c', sources: [], listen: { port: 5514, protocol: 'tcp', path: '/var/log/c.log' }, docker_root: '/d' })).toBe(
      `# Managed by runbook (log_agent c). Local edits are replaced.
module(load="imtcp")
ruleset(name="runbook_c_collect") {
  action(type="omfile" file="/var/log/c.log" template="RSYSLOG_FileFormat")
}
input(type="imtcp" port="5514" ruleset="runbook_c_collect")
`,
    );
    expect(loadedModules(text)).toEqual(['imfile', 'mmjsonparse']);
    expect(rsyslogModuleUsersCommand('/etc/rsyslog.d/60-runbook-app.conf', ['imfile'])).toEqual({
      script: RSYSLOG_MODULE_USERS_SCRIPT,
      args: ['/etc/rsyslog.d/60-runbook-app.conf', 'imfile'],
    });
    expect(rsq('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => rsq('a\nb')).toThrow(/one line/);
  });

  it('schema: a source is a path or containers, with a tag', () => {
    expect(validateParams(logAgent, { sources: [{ path: '/x', tag: 't' }], forward_to: { host: 'c', port: 1 } }).ok).toBe(true);
    expect(validateParams(logAgent, { sources: [{ path: '/x' }], forward_to: { host: 'c', port: 1 } }).ok).toBe(false);
    expect(validateParams(logAgent, { sources: [{ path: '/x', containers: true, tag: 't' }] }).ok).toBe(false);
    expect(validateParams(logAgent, { agent: 'syslog-ng', listen: { port: 1, path: '/x' } }).ok).toBe(false);
  });
});

describe('put script: a stream cut short', () => {
  it('keeps the old file and says how many bytes arrived when stdin ends early', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rb-short-'));
    const p = path.join(dir, 'f');
    writeFileSync(p, 'old\n');
    let err: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync('sh', ['-c', PUT_SCRIPT, 'sh', p, '', '', '', '100', 'a1b2c3', '0133'], { input: 'only ten b', stdio: 'pipe' });
    } catch (e) {
      err = e as { status: number; stderr: Buffer };
    }
    expect(err?.status).toBe(1);
    expect(err?.stderr.toString()).toBe(`received 10 of 100 bytes: the upload was cut short; ${p} was left as it was\n`);
    expect(readFileSync(p, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['f']);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('put validate hook', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rb-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes the validate argv after the seven put arguments', () => {
    expect(putCommand('/etc/x', { validate: ['visudo', '-cf', '%s'] }, 12, 'a1b2c3')).toEqual({
      script: PUT_SCRIPT,
      args: ['/etc/x', '', '', '', '12', 'a1b2c3', '', 'visudo', '-cf', '%s'],
      inline: true,
    });
    expect(() => putCommand('/etc/x', { validate: ['true'] }, 0, 'a1b2c3')).toThrow(/exactly %s/);
    expect(() => putCommand('/etc/x', { validate: [] }, 0, 'a1b2c3')).toThrow(/exactly %s/);
  });

  it('the script validates the temp file before the rename and keeps the old file on rejection', () => {
    const p = path.join(dir, 'conf');
    writeFileSync(p, 'old\n');
    const run = (content: string, validate: string[]) => {
      try {
        execFileSync('sh', ['-c', PUT_SCRIPT, 'sh', p, '', '', '', String(Buffer.byteLength(content)), 'a1b2c3', '', ...validate], { input: content, stdio: 'pipe' });
        return { code: 0, stderr: '' };
      } catch (e) {
        const err = e as { status: number; stderr: Buffer };
        return { code: err.status, stderr: err.stderr.toString() };
      }
    };
    // the validator sees the new content in a temp file next to the target
    expect(run('good\n', ['sh', '-c', 'case $1 in */.conf.*) grep -qx good "$1" ;; *) exit 9 ;; esac', 'v', '%s'])).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(p, 'utf8')).toBe('good\n');
    const bad = run('bad\n', ['sh', '-c', 'echo "line 1: bad word" >&2; exit 1', 'v', '%s']);
    expect(bad).toEqual({ code: PUT_VALIDATE_FAILED, stderr: 'line 1: bad word\n' });
    expect(readFileSync(p, 'utf8')).toBe('good\n');
    expect(readdirSync(dir)).toEqual(['conf']);
  });

  it('LocalTransport.put with validate fails naming the validator and keeps the file', async () => {
    const t = new LocalTransport();
    const p = path.join(dir, 'local.conf');
    await t.put(p, 'one\n', { validate: ['grep', '-qx', 'one', '%s'] });
    expect(readFileSync(p, 'utf8')).toBe('one\n');
    await expect(t.put(p, 'two\n', { validate: ['grep', '-qx', 'one', '%s'] })).rejects.toThrow(
      /new content of .*local\.conf failed validation: grep -qx one %s \(exit 65\)/,
    );
    expect(readFileSync(p, 'utf8')).toBe('one\n');
    await t.close();
  });
});
