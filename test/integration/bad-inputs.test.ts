// A corpus of broken inputs run through the CLI against the fleet: inventories, playbooks,
// module parameters, templates, expressions and command-line use. Each must exit 1 with a
// message that says where (file:line:col, or the option) and what, before any host is touched:
// every playbook starts with a task that would leave a marker file on every host.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { runbook, scratch } from '../support/cli.js';

const fleet = inject('fleet');
const MARKER = `/tmp/bad-inputs-${randomBytes(4).toString('hex')}`;
/** `{m}` becomes each case's own marker path, so one case that ran does not fail the others. */
const FIRST = `    - name: Leave a marker\n      copy: { dest: "{m}", content: "touched" }\n`;
/** A playbook whose first task leaves the marker, followed by `rest` (task lines). */
const pb = (rest = '', play = '') => `- hosts: fleet\n${play}  tasks:\n${FIRST}${rest}`;
const fleetInventory = readFileSync(fleet.inventoryPath, 'utf8');
/** The fleet's inventory with `extra` spliced into h1's entries (`ansible_port: N` replaced). */
const invWithH1 = (extra: string) =>
  fleetInventory.replace(/(\n {8}h1: \{ )([^\n]*)/g, (_m, head: string, rest: string) =>
    extra.startsWith('ansible_port:') ? `${head}${rest.replace(/ansible_port: \d+/, extra)}` : `${head}${extra}, ${rest}`,
  );

interface Case {
  /** Files of the scratch folder; `p.yml` defaults to a good playbook, `inv.yml` to the fleet. */
  files?: Record<string, string>;
  /** CLI arguments; `{d}` is the scratch folder. Default: play {d}/p.yml -i {d}/inv.yml. */
  args?: string[];
  /** What the message must say (stderr and stdout together). */
  says: RegExp;
}

const cases: Record<string, Case> = {
  // ---------------------------------------------------------------- inventories
  'inventory: malformed YAML': { files: { 'inv.yml': 'all:\n  hosts:\n    h1: { ansible_port: [1\n' }, says: /inv\.yml:\d+:\d+/ },
  'inventory: ansible_port not a number': { files: { 'inv.yml': invWithH1('ansible_port: abc') }, says: /inv\.yml:\d+:\d+: ansible_port of host h1/ },
  'inventory: ansible_port out of range': { files: { 'inv.yml': invWithH1('ansible_port: 70000') }, says: /inv\.yml:\d+:\d+: ansible_port of host h1/ },
  'inventory: unknown ansible_connection': { files: { 'inv.yml': invWithH1('ansible_connection: telnet') }, says: /inv\.yml:\d+:\d+: ansible_connection of host h1/ },
  'inventory: hosts is a list': { files: { 'inv.yml': 'all:\n  hosts:\n    - h1\n' }, says: /inv\.yml:3:\d+/ },
  'inventory: children is a list': { files: { 'inv.yml': 'all:\n  children:\n    - web\n' }, says: /inv\.yml:3:\d+/ },
  'inventory: INI unclosed section': { files: { 'inv.ini': '[fleet\nh1 ansible_host=127.0.0.1\n' }, args: ['play', '{d}/p.yml', '-i', '{d}/inv.ini'], says: /inv\.ini:1:\d+: section header '\[fleet' has no closing '\]'/ },
  'inventory: INI reversed range': { files: { 'inv.ini': '[fleet]\nweb[3:1] ansible_host=127.0.0.1\n' }, args: ['play', '{d}/p.yml', '-i', '{d}/inv.ini'], says: /inv\.ini:2:\d+/ },
  'inventory: INI bad port': { files: { 'inv.ini': '[fleet]\nh1 ansible_host=127.0.0.1 ansible_port=x\n' }, args: ['play', '{d}/p.yml', '-i', '{d}/inv.ini'], says: /inv\.ini:2:\d+: ansible_port/ },
  'inventory: INI vars of an unknown section kind': { files: { 'inv.ini': '[web:varz]\na=1\n' }, args: ['play', '{d}/p.yml', '-i', '{d}/inv.ini'], says: /inv\.ini:1:\d+/ },
  'inventory: group_vars malformed': {
    files: { 'inv/hosts.yml': fleetInventory, 'inv/group_vars/fleet.yml': 'a: [1\n' },
    args: ['play', '{d}/p.yml', '-i', '{d}/inv/hosts.yml'],
    says: /fleet\.yml:\d+:\d+/,
  },
  'inventory: host_vars not a mapping': {
    files: { 'inv/hosts.yml': fleetInventory, 'inv/host_vars/h1.yml': '- a\n- b\n' },
    args: ['play', '{d}/p.yml', '-i', '{d}/inv/hosts.yml'],
    says: /h1\.yml:1:\d+/,
  },
  'inventory: missing file': { args: ['play', '{d}/p.yml', '-i', '{d}/nowhere.yml'], says: /inventory '[^']*nowhere\.yml' not found: tried [^,]*nowhere\.yml \(under/ },
  'inventory: --list of a bad port': { files: { 'inv.yml': invWithH1('ansible_port: 0') }, args: ['inventory', '-i', '{d}/inv.yml', '--list'], says: /inv\.yml:\d+:\d+: ansible_port of host h1/ },

  // ---------------------------------------------------------------- playbook structure
  'playbook: malformed YAML': { files: { 'p.yml': pb('    - command: [unclosed\n') }, says: /p\.yml:5:\d+/ },
  'playbook: a mapping, not a list of plays': { files: { 'p.yml': 'hosts: fleet\ntasks: []\n' }, says: /p\.yml:1:\d+/ },
  'playbook: a play without hosts': { files: { 'p.yml': `- name: x\n  tasks:\n${FIRST}` }, says: /p\.yml:1:\d+.*hosts/s },
  'playbook: misspelled play keyword': { files: { 'p.yml': pb('', '  gather_fact: false\n') }, says: /p\.yml:2:\d+.*gather_fact/s },
  'playbook: unknown module': { files: { 'p.yml': pb('    - cpy: { dest: /tmp/x, content: x }\n') }, says: /p\.yml:5:\d+.*did you mean 'copy'/s },
  'playbook: two modules in a task': { files: { 'p.yml': pb('    - command: "true"\n      shell: "true"\n') }, says: /p\.yml:6:\d+.*exactly one module/s },
  'playbook: a task with no module': { files: { 'p.yml': pb('    - name: nothing\n') }, says: /p\.yml:5:\d+.*no module/s },
  'playbook: misspelled task keyword': { files: { 'p.yml': pb('    - command: "true"\n      whne: x\n') }, says: /p\.yml:6:\d+.*did you mean 'when'/s },
  'playbook: when is not an expression': { files: { 'p.yml': pb('    - command: "true"\n      when: "x ==="\n') }, says: /p\.yml:6:\d+/ },
  'playbook: loop is a number': { files: { 'p.yml': pb('    - command: "echo {{ item }}"\n      loop: 5\n') }, says: /p\.yml:6:\d+.*loop/s },
  'playbook: notify of a missing handler': { files: { 'p.yml': pb('    - command: "true"\n      notify: restart nothing\n') }, says: /p\.yml:6:\d+.*restart nothing/s },
  'playbook: listen on a task': { files: { 'p.yml': pb('    - command: "true"\n      listen: x\n') }, says: /p\.yml:6:\d+.*listen/s },
  'playbook: import_tasks of a missing file': { files: { 'p.yml': pb('    - import_tasks: missing.yml\n') }, says: /p\.yml:5:\d+.*missing\.yml/s },
  'playbook: import_tasks of a malformed file': { files: { 'p.yml': pb('    - import_tasks: t.yml\n'), 't.yml': '- command: [1\n' }, says: /t\.yml:1:\d+/ },
  'playbook: vars_files missing': { files: { 'p.yml': pb('', '  vars_files: [nope.yml]\n') }, says: /p\.yml:2:\d+.*nope\.yml/s },
  'playbook: vars_files malformed': { files: { 'p.yml': pb('', '  vars_files: [v.yml]\n'), 'v.yml': 'a: {b\n' }, says: /v\.yml:1:\d+/ },
  'playbook: serial not a number or percent': { files: { 'p.yml': pb('', '  serial: lots\n') }, says: /p\.yml:2:\d+.*serial/s },
  'playbook: max_fail_percentage over 100': { files: { 'p.yml': pb('', '  max_fail_percentage: 150\n') }, says: /p\.yml:2:\d+.*max_fail_percentage/s },
  'playbook: unknown strategy': { files: { 'p.yml': pb('', '  strategy: fastest\n') }, says: /p\.yml:2:\d+.*strategy/s },
  'playbook: tags is a mapping': { files: { 'p.yml': pb('    - command: "true"\n      tags: { a: 1 }\n') }, says: /p\.yml:6:\d+.*tags/s },
  'playbook: become is not a boolean': { files: { 'p.yml': pb('', '  become: maybe\n') }, says: /p\.yml:2:\d+.*become/s },
  'playbook: retries not a number': { files: { 'p.yml': pb('    - command: "true"\n      retries: many\n      until: x\n') }, says: /p\.yml:6:\d+.*retries/s },
  'playbook: register not a name': { files: { 'p.yml': pb('    - command: "true"\n      register: 1abc\n') }, says: /p\.yml:6:\d+.*register/s },
  'playbook: impossible host range': { files: { 'p.yml': `- hosts: web[3:1]\n  tasks:\n${FIRST}` }, says: /p\.yml:1:\d+.*can never match/s },
  'playbook: dangling intersection': { files: { 'p.yml': `- hosts: "web:&"\n  tasks:\n${FIRST}` }, says: /p\.yml:1:\d+.*can never match/s },
  'playbook: missing file': { args: ['play', '{d}/none.yml', '-i', '{d}/inv.yml'], says: /none\.yml/ },

  // ---------------------------------------------------------------- templates and expressions
  'template: unclosed {{ in an argument': { files: { 'p.yml': pb('    - command: "echo {{ x"\n') }, says: /p\.yml:5:\d+/ },
  'template: undefined variable, with a suggestion': {
    files: { 'p.yml': pb('    - command: "echo {{ inventory_hostnme }}"\n') },
    says: /p\.yml:5:\d+.*inventory_hostnme.*did you mean 'inventory_hostname'/s,
  },
  'template: unknown filter': { files: { 'p.yml': pb('    - command: "echo {{ 1 | nosuchfilter }}"\n') }, says: /p\.yml:5:\d+.*nosuchfilter/s },
  'template: an expression syntax error': { files: { 'p.yml': pb('    - command: "echo {{ 1 + }}"\n') }, says: /p\.yml:5:\d+/ },
  'template: undefined variable in play vars': { files: { 'p.yml': pb('    - command: "echo {{ a }}"\n', '  vars:\n    a: "{{ b_missing }}"\n') }, says: /p\.yml:\d+:\d+.*b_missing/s },
  'template: .j2 file with a bad tag': {
    files: { 'p.yml': pb('    - template: { src: t.j2, dest: /tmp/bad-t }\n'), 't.j2': 'line one\n{% if %}\n' },
    says: /t\.j2:2:\d+/,
  },
  'template: .j2 file with an unclosed block': {
    files: { 'p.yml': pb('    - template: { src: t.j2, dest: /tmp/bad-t }\n'), 't.j2': '{% for x in [1] %}\n{{ x }}\n' },
    says: /t\.j2:\d+:\d+/,
  },
  'template: .j2 file using an undefined variable': {
    files: { 'p.yml': pb('    - template: { src: t.j2, dest: /tmp/bad-t }\n'), 't.j2': 'a\nb {{ no_such_thing }}\n' },
    says: /t\.j2:2:\d+.*no_such_thing/s,
  },
  'template: .hbs file with a syntax error': {
    files: { 'p.yml': pb('    - template: { src: t.hbs, dest: /tmp/bad-t }\n'), 't.hbs': 'a\n{{#if x}}\n' },
    says: /t\.hbs:\d+:\d+/,
  },
  'template: missing template src': { files: { 'p.yml': pb('    - template: { src: none.j2, dest: /tmp/bad-t }\n') }, says: /p\.yml:5:\d+.*none\.j2/s },

  // ---------------------------------------------------------------- module parameters
  'params: copy without dest': { files: { 'p.yml': pb('    - copy: { content: x }\n') }, says: /p\.yml:5:\d+.*dest/s },
  'params: copy with content and src': { files: { 'p.yml': pb('    - copy: { content: x, src: a.txt, dest: /tmp/x }\n'), 'a.txt': 'a' }, says: /p\.yml:5:\d+.*(content|src)/s },
  'params: copy src missing': { files: { 'p.yml': pb('    - copy: { src: not-there.txt, dest: /tmp/x }\n') }, says: /p\.yml:5:\d+.*not-there\.txt/s },
  'params: misspelled parameter': { files: { 'p.yml': pb('    - copy: { dst: /tmp/x, content: x }\n') }, says: /p\.yml:5:\d+.*dst.*did you mean 'dest'/s },
  'params: file state not a choice': { files: { 'p.yml': pb('    - file: { path: /tmp/x, state: made }\n') }, says: /p\.yml:5:\d+.*state/s },
  'params: mode with a non-octal digit': { files: { 'p.yml': pb('    - file: { path: /tmp/x, state: touch, mode: 999 }\n') }, says: /p\.yml:5:\d+.*mode/s },
  'params: mode that is not a mode': { files: { 'p.yml': pb('    - file: { path: /tmp/x, state: touch, mode: "rwx" }\n') }, says: /p\.yml:5:\d+.*mode/s },
  'params: command without a command': { files: { 'p.yml': pb('    - command: { chdir: /tmp }\n') }, says: /p\.yml:5:\d+/ },
  'params: wrong type': { files: { 'p.yml': pb('    - copy: { dest: /tmp/x, content: x, force: [1] }\n') }, says: /p\.yml:5:\d+.*force/s },
  'params: docker_container without image': { files: { 'p.yml': pb('    - docker_container: { name: web }\n') }, says: /p\.yml:5:\d+.*image/s },
  'params: docker_container bad port': { files: { 'p.yml': pb('    - docker_container: { name: web, image: "a:1", ports: ["eighty"] }\n') }, says: /p\.yml:5:\d+.*port/s },
  'params: nginx_lb without backends': { files: { 'p.yml': pb('    - nginx_lb: { name: app }\n') }, says: /p\.yml:5:\d+.*backends/s },
  'params: health_check with a bad url': { files: { 'p.yml': pb('    - health_check: { http: { url: "not a url" } }\n') }, says: /p\.yml:5:\d+.*url/s },
  'params: lineinfile with a bad regexp': { files: { 'p.yml': pb('    - lineinfile: { path: /tmp/x, regexp: "(", line: a }\n') }, says: /p\.yml:5:\d+.*regexp/s },
  'params: lineinfile insertafter and insertbefore': {
    files: { 'p.yml': pb('    - lineinfile: { path: /tmp/x, line: a, insertafter: EOF, insertbefore: BOF }\n') },
    says: /p\.yml:5:\d+.*insert(after|before)/s,
  },
  'params: blockinfile state not a choice': { files: { 'p.yml': pb('    - blockinfile: { path: /tmp/x, block: a, state: maybe }\n') }, says: /p\.yml:5:\d+.*state/s },
  'params: stat without path': { files: { 'p.yml': pb('    - stat: {}\n') }, says: /p\.yml:5:\d+.*path/s },
  'params: rollout with an unknown on_failure': { files: { 'p.yml': pb('', '  rollout:\n    on_failure: panic\n') }, says: /p\.yml:3:\d+.*on_failure/s },

  // ---------------------------------------------------------------- command line
  'cli: unknown option': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '--chek'], says: /--chek/ },
  'cli: -e from a missing file': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '-e', '@{d}/nope.yml'], says: /nope\.yml/ },
  'cli: -e malformed JSON': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '-e', '{"a": '], says: /-e|extra/i },
  'cli: --forks 0': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '--forks', '0'], says: /forks/ },
  'cli: --forks not a number': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '--forks', 'many'], says: /forks/ },
  'cli: --report into a missing folder': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '--report', '{d}/no/such/dir/r.json'], says: /report/ },
  'cli: --limit with an impossible pattern': { args: ['play', '{d}/p.yml', '-i', '{d}/inv.yml', '--limit', 'web[3:1]'], says: /limit|never match/i },
  'cli: drift of a broken playbook': { files: { 'p.yml': pb('    - cpy: { dest: /tmp/x, content: x }\n') }, args: ['drift', '{d}/p.yml', '-i', '{d}/inv.yml'], says: /p\.yml:5:\d+/ },
  'cli: unknown command': { args: ['plya', '{d}/p.yml'], says: /plya/ },
};

describe('broken input: exit 1, where and what, no host touched', () => {
  const seen: string[] = [];
  afterAll(async () => {
    if (process.env.BAD_INPUTS_LOG) writeFileSync(process.env.BAD_INPUTS_LOG, seen.join('\n'));
    for (const h of fleet.hosts) {
      expect((await ssh(fleet, h.name, `ls ${MARKER}-* 2>/dev/null || echo untouched`)).stdout.trim()).toBe('untouched');
    }
  });

  it(`has at least 60 cases`, () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(60);
  });

  for (const [index, [name, c]] of Object.entries(cases).entries()) {
    it(name, async () => {
      const marker = `${MARKER}-${index}`;
      const files = Object.fromEntries(Object.entries({ 'p.yml': pb(), 'inv.yml': fleetInventory, ...c.files }).map(([k, v]) => [k, v.replaceAll('{m}', marker)]));
      const d = scratch(files);
      const args = (c.args ?? ['play', '{d}/p.yml', '-i', '{d}/inv.yml']).map((a) => a.replaceAll('{d}', d));
      const r = await runbook(args, { cwd: d });
      const said = `${r.stderr}${r.stdout}`;
      seen.push(`${name} (exit ${r.code})\n  ${said.trim().split('\n').slice(0, 3).join('\n  ')}`);
      expect({ code: r.code, said }).toMatchObject({ code: 1 });
      expect(said).toMatch(c.says);
      expect(said).not.toMatch(/\n\s+at .*\.js:\d+:\d+/); // no stack trace for user errors
      expect((await ssh(fleet, 'h1', `test -e ${marker} && echo touched || echo untouched`)).stdout.trim()).toBe('untouched');
    });
  }
});
