import { describe, expect, it } from 'vitest';
import {
  parseServiceFacts,
  SERVICE_FACTS_SCRIPT,
  serviceFactsCommand,
  serviceSteps,
  type ServiceFacts,
} from '../../../../modules/_lib/service.js';

const sysv = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({
  manager: 'sysv', unit: 'nginx', exists: true, running: false, enabled: false,
  links: true, serviceCmd: true, updateRcd: true, ...over,
});
const systemd = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({
  manager: 'systemd', unit: 'nginx.service', exists: true, running: false, enabled: false,
  links: false, serviceCmd: false, updateRcd: false, ...over,
});
const argvs = (steps: { argv: string[] }[]) => steps.map((s) => s.argv);

describe('service facts', () => {
  it('is one script with the name as its only argument', () => {
    expect(serviceFactsCommand('nginx')).toEqual({ script: SERVICE_FACTS_SCRIPT, args: ['nginx'] });
  });

  it('parses a sysvinit host', () => {
    expect(parseServiceFacts('unit nginx\nmgr sysv\nservice 1\nstatus 3\nupdatercd 1\nlinks 1\n')).toEqual(
      sysv({ running: false, enabled: false }),
    );
    expect(parseServiceFacts('unit rsyslog\nmgr sysv\nservice 1\nstatus 0\nupdatercd 1\nenabled 1\nlinks 1\n')).toEqual(
      sysv({ unit: 'rsyslog', running: true, enabled: true }),
    );
    expect(parseServiceFacts('unit nope\nmgr none\n')).toMatchObject({ manager: 'none', exists: false });
  });

  it('parses a systemd host', () => {
    expect(parseServiceFacts('mgr systemd\nunit nginx.service\nload loaded\nactive active\nenabled 1\n')).toEqual(
      systemd({ running: true, enabled: true }),
    );
    expect(parseServiceFacts('mgr systemd\nunit x.service\nload not-found\nactive inactive\nenabled 0\n')).toMatchObject({
      exists: false, running: false,
    });
  });
});

describe('service steps (exact argv)', () => {
  it('started/stopped change only what needs it', () => {
    expect(argvs(serviceSteps('service', { name: 'nginx', state: 'started' }, sysv()))).toEqual([['service', 'nginx', 'start']]);
    expect(serviceSteps('service', { name: 'nginx', state: 'started' }, sysv({ running: true }))).toEqual([]);
    expect(argvs(serviceSteps('service', { name: 'nginx', state: 'stopped' }, sysv({ running: true })))).toEqual([
      ['service', 'nginx', 'stop'],
    ]);
    expect(serviceSteps('service', { name: 'nginx', state: 'stopped' }, sysv())).toEqual([]);
    expect(argvs(serviceSteps('service', { name: 'nginx', state: 'started' }, sysv({ serviceCmd: false })))).toEqual([
      ['/etc/init.d/nginx', 'start'],
    ]);
  });

  it('restarted always restarts; reloaded reloads a running service and starts a stopped one', () => {
    expect(serviceSteps('service', { name: 'nginx', state: 'restarted' }, sysv({ running: true }))).toEqual([
      { change: { field: 'state', before: 'started', after: 'restarted' }, argv: ['service', 'nginx', 'restart'] },
    ]);
    expect(argvs(serviceSteps('service', { name: 'nginx', state: 'reloaded' }, systemd({ running: true })))).toEqual([
      ['systemctl', 'reload', 'nginx.service'],
    ]);
    expect(argvs(serviceSteps('service', { name: 'nginx', state: 'reloaded' }, systemd()))).toEqual([
      ['systemctl', 'start', 'nginx.service'],
    ]);
  });

  it('enabled: update-rc.d defaults without links, enable/disable with them; systemctl on systemd', () => {
    expect(argvs(serviceSteps('service', { name: 'rsyslog', enabled: true }, sysv({ unit: 'rsyslog', links: false })))).toEqual([
      ['update-rc.d', 'rsyslog', 'defaults'],
    ]);
    expect(argvs(serviceSteps('service', { name: 'nginx', enabled: true }, sysv()))).toEqual([['update-rc.d', 'nginx', 'enable']]);
    expect(argvs(serviceSteps('service', { name: 'nginx', enabled: false }, sysv({ enabled: true })))).toEqual([
      ['update-rc.d', 'nginx', 'disable'],
    ]);
    expect(serviceSteps('service', { name: 'nginx', enabled: false }, sysv({ links: false }))).toEqual([]);
    expect(argvs(serviceSteps('service', { name: 'nginx', enabled: true, state: 'started' }, systemd()))).toEqual([
      ['systemctl', 'enable', 'nginx.service'],
      ['systemctl', 'start', 'nginx.service'],
    ]);
    expect(() => serviceSteps('service', { name: 'nginx', enabled: true }, sysv({ updateRcd: false }))).toThrow(/no update-rc.d/);
  });

  it('daemon_reload comes first on systemd and is nothing without it; a missing service is an error', () => {
    expect(argvs(serviceSteps('systemd', { name: 'app', daemon_reload: true, state: 'started' }, systemd({ unit: 'app.service', exists: false })))).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'start', 'app.service'],
    ]);
    expect(serviceSteps('systemd', { name: 'nginx', daemon_reload: true }, sysv())).toEqual([]);
    expect(() => serviceSteps('service', { name: 'nope', state: 'started' }, parseServiceFacts('unit nope\nmgr none\n'))).toThrow(
      'service: could not find the service nope (no systemd and no /etc/init.d/nope)',
    );
  });
});
