import { describe, expect, it } from 'vitest';
import { factVars, parseSetup, SETUP_SCRIPT, setupCommand } from '../../../../modules/setup.js';

const b64env = Buffer.from('HOME=/root\0LANG=C.UTF-8\0MULTI=a\nb\0').toString('base64');
const SAMPLE = [
  'hostname\tweb1',
  'nodename\tweb1',
  'fqdn\tweb1.example.org',
  'system\tLinux',
  'kernel\t6.1.0-18-amd64',
  'kernel_version\t#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1',
  'machine\tx86_64',
  'os_id\tdebian',
  'os_id_like\t',
  'os_version_id\t12',
  'os_codename\tbookworm',
  'os_name\tDebian GNU/Linux',
  'debian_version\t12.5',
  'nproc\t4',
  'MemTotal:\t7937',
  'MemFree:\t1024',
  'SwapTotal:\t0',
  'SwapFree:\t0',
  'gateway\t172.18.0.1',
  'interface\teth0',
  'ipv4_all\tdocker0 10.213.0.1,eth0 172.18.0.2,',
  'user_id\troot',
  'user_uid\t0',
  'user_gid\t0',
  'user_dir\t/root',
  'user_shell\t/bin/bash',
  'pkg_mgr\tapt',
  'service_mgr\tsysvinit',
  'python_version\t3.11.2',
  'date\t1764763200 2025 12 03 12 00 00 UTC +0000',
  'nameservers\t127.0.0.11 ',
  'search\t example.org',
  'virtualization\tdocker',
  `env\t${b64env}`,
].join('\n');

describe('setup: the facts of one round trip', () => {
  it('runs one script with no arguments', () => {
    expect(setupCommand()).toEqual({ script: SETUP_SCRIPT, args: [] });
  });

  it('names the facts as Ansible does', () => {
    const f = parseSetup(SAMPLE);
    expect(f).toMatchObject({
      hostname: 'web1',
      fqdn: 'web1.example.org',
      domain: 'example.org',
      distribution: 'Debian',
      distribution_version: '12.5',
      distribution_major_version: '12',
      distribution_release: 'bookworm',
      os_family: 'Debian',
      architecture: 'x86_64',
      processor_vcpus: 4,
      memtotal_mb: 7937,
      default_ipv4: { address: '172.18.0.2', interface: 'eth0', gateway: '172.18.0.1' },
      all_ipv4_addresses: ['10.213.0.1', '172.18.0.2'],
      user_id: 'root',
      user_uid: 0,
      pkg_mgr: 'apt',
      service_mgr: 'sysvinit',
      python_version: '3.11.2',
      virtualization_type: 'docker',
      dns: { nameservers: ['127.0.0.11'], search: ['example.org'] },
      env: { HOME: '/root', LANG: 'C.UTF-8', MULTI: 'a\nb' },
    });
    expect(f.date_time).toMatchObject({ epoch: '1764763200', date: '2025-12-03', time: '12:00:00', iso8601: '2025-12-03T12:00:00Z', tz: 'UTC' });
  });

  it('other distributions: the family from the name, then from ID_LIKE', () => {
    const rocky = parseSetup('os_id\trocky\nos_version_id\t9.3\nos_id_like\trhel centos fedora\n');
    expect(rocky).toMatchObject({ distribution: 'Rocky', distribution_version: '9.3', distribution_major_version: '9', os_family: 'RedHat' });
    const pop = parseSetup('os_id\tpop\nos_version_id\t22.04\nos_id_like\tubuntu debian\n');
    expect(pop).toMatchObject({ distribution: 'Pop', os_family: 'Debian' });
  });

  it('a minimal host: missing probes leave facts out, never undefined', () => {
    const f = parseSetup('hostname\tx\nsystem\tLinux\n');
    expect(Object.values(f).includes(undefined)).toBe(false);
    expect(f).toMatchObject({ hostname: 'x', distribution: 'Linux', default_ipv4: {}, all_ipv4_addresses: [], pkg_mgr: 'unknown' });
  });

  it('sets ansible_facts and each fact as ansible_<name>', () => {
    expect(factVars({ hostname: 'a', os_family: 'Debian' })).toEqual({ ansible_facts: { hostname: 'a', os_family: 'Debian' }, ansible_hostname: 'a', ansible_os_family: 'Debian' });
  });
});
