import { describe, expect, it } from 'vitest';
import { APT_FACTS_SCRIPT, APT_UPDATE_SCRIPT, aptFactsCommand, aptSteps, packageNames, parseAptFacts, type PackageFacts } from '../../../../modules/_lib/apt.js';

const OUT = `apt 1
now 1000
cache 400
pkg sudo ii |1.9.13
pkg old rc |0.9
policy
sudo:
  Installed: 1.9.13
  Candidate: 1.9.14
  Version table:
rbtest:
  Installed: (none)
  Candidate: 1.0
old:
  Installed: (none)
  Candidate: (none)
`;
const facts = parseAptFacts(OUT);
const cmds = (steps: { command: unknown }[]) => steps.map((s) => s.command);
const INSTALL = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

describe('apt facts', () => {
  it('is one script over the names', () => {
    expect(aptFactsCommand(['a', 'b'])).toEqual({ script: APT_FACTS_SCRIPT, args: ['a', 'b'] });
    expect(packageNames({ name: 'curl, jq,curl' })).toEqual(['curl', 'jq']);
  });

  it('parses installed versions (config-files only is not installed), candidates and the cache age', () => {
    expect(facts).toEqual<PackageFacts>({
      apt: true, now: 1000, cacheTime: 400,
      installed: { sudo: '1.9.13' },
      candidate: { sudo: '1.9.14', rbtest: '1.0', old: '' },
    });
    expect(parseAptFacts('noapt\n').apt).toBe(false);
  });
});

describe('apt steps (exact argv)', () => {
  it('present installs only what is missing; latest also what has a newer candidate', () => {
    expect(cmds(aptSteps('apt', { name: ['sudo', 'rbtest'] }, facts))).toEqual([[...INSTALL, 'install', 'rbtest']]);
    expect(aptSteps('apt', { name: 'sudo', state: 'installed' }, facts)).toEqual([]);
    expect(aptSteps('apt', { name: ['sudo', 'rbtest'], state: 'latest' }, facts)).toEqual([
      {
        change: { field: 'packages', before: 'sudo=1.9.13 rbtest (absent)', after: 'sudo=1.9.14 rbtest=1.0' },
        command: [...INSTALL, 'install', 'sudo', 'rbtest'],
      },
    ]);
    expect(cmds(aptSteps('apt', { name: 'rbtest', install_recommends: false }, facts))).toEqual([
      [...INSTALL, '--no-install-recommends', 'install', 'rbtest'],
    ]);
  });

  it('absent removes (or purges) only installed packages', () => {
    const rm = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-y', '-q'];
    expect(cmds(aptSteps('apt', { name: ['sudo', 'rbtest', 'old'], state: 'absent' }, facts))).toEqual([[...rm, 'remove', 'sudo']]);
    expect(cmds(aptSteps('apt', { name: 'sudo', state: 'removed', purge: true }, facts))).toEqual([[...rm, 'purge', 'sudo']]);
    expect(aptSteps('apt', { name: 'rbtest', state: 'absent' }, facts)).toEqual([]);
  });

  it('update_cache honours cache_valid_time; an unknown package fails unless the lists are being updated', () => {
    expect(cmds(aptSteps('apt', { update_cache: true }, facts))).toEqual([{ script: APT_UPDATE_SCRIPT }]);
    expect(aptSteps('apt', { update_cache: true, cache_valid_time: 600 }, facts)).toEqual([]);
    expect(cmds(aptSteps('apt', { update_cache: true, cache_valid_time: 599 }, facts))).toEqual([{ script: APT_UPDATE_SCRIPT }]);
    expect(() => aptSteps('apt', { name: ['nope', 'old'] }, facts)).toThrow(
      'apt: no package nope, old in the package lists (update_cache: true to refresh them)',
    );
    expect(cmds(aptSteps('apt', { name: 'nope', update_cache: true }, facts))).toEqual([{ script: APT_UPDATE_SCRIPT }, [...INSTALL, 'install', 'nope']]);
  });
});
