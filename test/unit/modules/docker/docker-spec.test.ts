import { describe, expect, it } from 'vitest';
import {
  createBody,
  desiredContainer,
  diffContainer,
  durationNs,
  normaliseImage,
  normaliseVolume,
  parsePort,
  parseRestartPolicy,
  portString,
  portsOf,
  restartPolicyString,
  SpecError,
  type ContainerInspect,
  type ImageInspect,
} from '../../../../modules/_lib/docker-spec.js';

const IMAGE: ImageInspect = {
  Id: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  Config: { Cmd: ['/bin/sh', '-c', 'httpd'], Env: ['PATH=/bin'], Labels: { 'runbook.app.version': 'v1' } },
};

/** What inspect says about a container runbook created from `params` on IMAGE. */
function inspected(over: Partial<ContainerInspect['Config']> = {}, host: Partial<ContainerInspect['HostConfig']> = {}): ContainerInspect {
  return {
    Id: 'c1',
    Image: IMAGE.Id,
    Config: {
      Image: 'runbook-app:v1',
      Cmd: ['/bin/sh', '-c', 'httpd'],
      Env: ['URL=http://h1:8000/', 'PATH=/bin'],
      Labels: { 'runbook.app.version': 'v1', team: 'web', 'runbook.managed.env': '["URL"]', 'runbook.managed.labels': '["team"]' },
      ...over,
    },
    HostConfig: {
      Binds: ['data:/data', '/srv/app:/app:ro'],
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8000' }] },
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      ...host,
    },
    NetworkSettings: { Networks: { bridge: {} } },
    State: { Running: true, Status: 'running' },
  };
}

const params = {
  name: 'example',
  image: 'runbook-app:v1',
  env: { URL: 'http://h1:8000/' },
  labels: { team: 'web' },
  ports: ['8000:80'],
  volumes: ['/srv/app:/app:ro', 'data:/data'],
  restart_policy: 'unless-stopped',
};

describe('notations', () => {
  it('ports: every form to ip:host:container/proto, 0.0.0.0 as no address', () => {
    expect(portString(parsePort('8080:80'))).toBe(':8080:80/tcp');
    expect(portString(parsePort('0.0.0.0:8080:80'))).toBe(':8080:80/tcp');
    expect(portString(parsePort('127.0.0.1:8080:80/udp'))).toBe('127.0.0.1:8080:80/udp');
    expect(portString(parsePort('[::1]:8080:80'))).toBe('[::1]:8080:80/tcp');
    expect(portString(parsePort('80'))).toBe('::80/tcp');
    expect(() => parsePort('80:http')).toThrow(SpecError);
    expect(() => parsePort('8080:80/icmp')).toThrow(/protocol must be tcp, udp or sctp/);
  });

  it('volumes: rw dropped, trailing slashes dropped, options sorted', () => {
    expect(normaliseVolume('data:/var/lib/app')).toBe('data:/var/lib/app');
    expect(normaliseVolume('data:/var/lib/app:rw')).toBe('data:/var/lib/app');
    expect(normaliseVolume('/srv/app/:/app/:ro')).toBe('/srv/app:/app:ro');
    expect(normaliseVolume('/srv:/app:z,ro')).toBe('/srv:/app:ro,z');
    expect(() => normaliseVolume('/only')).toThrow(/expected source:\/container\/path/);
    expect(() => normaliseVolume('data:relative')).toThrow(/must be absolute/);
  });

  it('images get :latest only without tag or digest; registry ports are not tags', () => {
    expect(normaliseImage('nginx')).toBe('nginx:latest');
    expect(normaliseImage('runbook-app:v1')).toBe('runbook-app:v1');
    expect(normaliseImage('reg:5000/app')).toBe('reg:5000/app:latest');
    expect(normaliseImage('app@sha256:abc')).toBe('app@sha256:abc');
  });

  it('restart policies and durations', () => {
    expect(parseRestartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(restartPolicyString({ Name: '', MaximumRetryCount: 0 })).toBe('no');
    expect(restartPolicyString({ Name: 'on-failure', MaximumRetryCount: 2 })).toBe('on-failure:2');
    expect(() => parseRestartPolicy('always:3')).toThrow(SpecError);
    expect(durationNs(1.5, 'x')).toBe(1_500_000_000);
    expect(durationNs('1m30s', 'x')).toBe(90e9);
    expect(durationNs('500ms', 'x')).toBe(5e8);
    expect(() => durationNs('5 minutes', 'healthcheck.interval')).toThrow(/healthcheck.interval: expected seconds/);
  });

  it('inspect port bindings read back in the same notation', () => {
    expect(portsOf(inspected({}, { PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8000' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }] } }))).toEqual([
      '127.0.0.1:53:53/udp',
      ':8000:80/tcp',
    ]);
  });
});

describe('diffContainer', () => {
  const want = desiredContainer(params);

  it('a container created from the same spec has no difference (image env, image labels, runbook labels ignored)', () => {
    expect(diffContainer(want, inspected(), IMAGE, IMAGE.Id)).toEqual([]);
  });

  it('the same ports and volumes in other notations are no difference', () => {
    const other = desiredContainer({ ...params, ports: ['0.0.0.0:8000:80/tcp'], volumes: ['data:/data:rw', '/srv/app/:/app:ro'] });
    expect(diffContainer(other, inspected(), IMAGE, IMAGE.Id)).toEqual([]);
  });

  it('names each differing field with before and after', () => {
    const other = desiredContainer({ ...params, env: { URL: 'http://h1:9000/' }, ports: ['9000:80'], restart_policy: 'always', labels: { team: 'api' } });
    expect(diffContainer(other, inspected(), IMAGE, IMAGE.Id)).toEqual([
      { field: 'env.URL', before: 'http://h1:8000/', after: 'http://h1:9000/' },
      { field: 'labels.team', before: 'web', after: 'api' },
      { field: 'ports', before: [':8000:80/tcp'], after: [':9000:80/tcp'] },
      { field: 'restart_policy', before: 'unless-stopped', after: 'always' },
    ]);
  });

  it('another image is a difference named image, with both ids', () => {
    const v2 = desiredContainer({ ...params, image: 'runbook-app:v2' });
    expect(diffContainer(v2, inspected(), IMAGE, 'sha256:2222222222222222')).toEqual([
      { field: 'image', before: 'runbook-app:v1 (111111111111)', after: 'runbook-app:v2 (222222222222)' },
    ]);
  });

  it('an env var runbook set and the task no longer asks for is removed; one from elsewhere is drift', () => {
    const none = desiredContainer({ ...params, env: {} });
    expect(diffContainer(none, inspected(), IMAGE, IMAGE.Id)).toEqual([{ field: 'env.URL', before: 'http://h1:8000/', after: undefined }]);
    const extra = inspected({ Env: ['URL=http://h1:8000/', 'PATH=/bin', 'DEBUG=1'] });
    expect(diffContainer(want, extra, IMAGE, IMAGE.Id)).toEqual([{ field: 'env.DEBUG', before: '1', after: undefined }]);
    // an image value the task overrides is compared; the image's own value left alone is not
    const path = desiredContainer({ ...params, env: { URL: 'http://h1:8000/', PATH: '/usr/bin' } });
    expect(diffContainer(path, inspected(), IMAGE, IMAGE.Id)).toEqual([{ field: 'env.PATH', before: '/bin', after: '/usr/bin' }]);
  });

  it('command: the image default unless given; a string is split like words', () => {
    const cmd = desiredContainer({ ...params, command: "httpd -f -p '8 0'" });
    expect(diffContainer(cmd, inspected(), IMAGE, IMAGE.Id)).toEqual([
      { field: 'command', before: ['/bin/sh', '-c', 'httpd'], after: ['httpd', '-f', '-p', '8 0'] },
    ]);
    const custom = inspected({ Cmd: ['sleep', '1'] });
    expect(diffContainer(want, custom, IMAGE, IMAGE.Id)).toEqual([{ field: 'command', before: ['sleep', '1'], after: ['/bin/sh', '-c', 'httpd'] }]);
  });

  it('networks and healthcheck are compared only when given', () => {
    const nets = desiredContainer({ ...params, networks: ['app', { name: 'bridge' }] });
    expect(diffContainer(nets, inspected(), IMAGE, IMAGE.Id)).toEqual([{ field: 'networks', before: ['bridge'], after: ['app', 'bridge'] }]);
    const hc = desiredContainer({ ...params, healthcheck: { test: 'wget -qO- localhost', interval: '5s' } });
    const withHc = inspected({ Healthcheck: { Test: ['CMD-SHELL', 'wget -qO- localhost'], Interval: 5e9, Timeout: 3e9 } });
    expect(diffContainer(hc, withHc, IMAGE, IMAGE.Id)).toEqual([]);
    expect(diffContainer(hc, inspected(), IMAGE, IMAGE.Id)).toEqual([
      { field: 'healthcheck', before: null, after: { Test: ['CMD-SHELL', 'wget -qO- localhost'], Interval: 5e9 } },
    ]);
  });

  it('labels under runbook.managed. are refused in parameters', () => {
    expect(() => desiredContainer({ ...params, labels: { 'runbook.managed.env': 'x' } })).toThrow(/runbook's own/);
  });
});

describe('createBody', () => {
  it('is the engine create request, recording what runbook set in runbook.managed.* labels', () => {
    const body = createBody(desiredContainer({ ...params, command: ['httpd'], stop_timeout: 5, networks: ['app', 'other'] }));
    expect(body).toEqual({
      Image: 'runbook-app:v1',
      Env: ['URL=http://h1:8000/'],
      Labels: {
        team: 'web',
        'runbook.managed.env': '["URL"]',
        'runbook.managed.labels': '["team"]',
        'runbook.managed.command': '["httpd"]',
      },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: {
        Binds: ['/srv/app:/app:ro', 'data:/data'],
        PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8000' }] },
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
        NetworkMode: 'app',
      },
      Cmd: ['httpd'],
      StopTimeout: 5,
    });
  });
});
