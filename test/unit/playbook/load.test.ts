import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { splitArgs } from '../../../src/playbook/args.js';
import { loadPlaybook, normalizeSerial, normalizeTags } from '../../../src/playbook/load.js';
import type { Playbook, Task } from '../../../src/playbook/types.js';
import { knownModules } from './modules.js';

const FIX = 'test/fixtures/playbooks';
const load = (name: string) => loadPlaybook(`${FIX}/${name}`, { knownModules });

async function errorsOf(name: string): Promise<string[]> {
  try {
    await load(name);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error(`${name} loaded without errors`);
}

async function tmpPlaybook(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-pb-'));
  const file = path.join(dir, 'pb.yml');
  await writeFile(file, text);
  return file;
}

const p = (line: number, col: number, file = `${FIX}/valid.yml`) => ({ file, line, col });

describe('loadPlaybook: a valid playbook', () => {
  let pb: Playbook;
  const task = (name: string): Task => {
    const all = pb.plays.flatMap((pl) => [...pl.sections.pre_tasks, ...pl.sections.tasks, ...pl.sections.post_tasks, ...pl.handlers]);
    const t = all.find((x) => x.name === name);
    if (!t) throw new Error(`no task ${name}: ${all.map((x) => x.name).join(' | ')}`);
    return t;
  };

  it('loads plays with normalised play keywords', async () => {
    pb = await load('valid.yml');
    expect(pb.path).toBe(path.resolve(FIX, 'valid.yml'));
    expect(pb.dir).toBe(path.resolve(FIX));
    expect(pb.plays).toHaveLength(2);
    const [web, all] = pb.plays;
    expect(web).toMatchObject({
      name: 'Web tier',
      hosts: 'web:lb',
      vars: { version: 'v2', app_dir: '/srv/{{ app }}' },
      varsFiles: [path.resolve(FIX, 'vars/common.yml')],
      serial: [1, '50%', 3],
      maxFailPercentage: 0,
      anyErrorsFatal: false,
      strategy: 'linear',
      become: true,
      tags: ['deploy', 'web'],
      pos: p(2, 3),
    });
    expect(web.sections.pre_tasks).toHaveLength(1);
    expect(web.sections.tasks.map((t) => t.name)).toEqual([
      'App config',
      'file: path=/srv/app state=directory mode=0755',
      'command: /usr/bin/make install creates=/srv/app/b…',
      'Items',
      'Wait',
      'In block',
      'Extra one',
      'Extra two',
      'With args keyword',
    ]);
    expect(all).toMatchObject({ name: 'all', hosts: 'all', strategy: 'free', serial: [2], tags: [] });
  });

  it('free form, key=value arguments and FQCN module names', () => {
    expect(task('command: uname -r')).toMatchObject({ module: 'command', args: { cmd: 'uname -r' }, argPos: { cmd: p(13, 16) } });
    expect(task('file: path=/srv/app state=directory mode=0755').args).toEqual({ path: '/srv/app', state: 'directory', mode: '0755' });
    const make = task('command: /usr/bin/make install creates=/srv/app/b…');
    expect(make.args).toEqual({ cmd: '/usr/bin/make install', creates: '/srv/app/bin', chdir: '/srv/app' });
    expect(make.argPos.creates).toEqual(p(28, 54));
    expect(task('With args keyword').args).toEqual({ chdir: '/tmp', cmd: 'echo hi' });
    const dc = pb.plays[0].sections.post_tasks[0];
    expect(dc.module).toBe('docker_container');
    expect(dc.name).toBe('docker_container: name=app image=local/app:{{ version }} p…');
  });

  it('keeps templated arguments raw, with the position of each template', () => {
    const t = task('App config');
    expect(t.args).toEqual({ dest: '{{ app_dir }}/app.conf', content: 'version={{ version }}\n', mode: '0644' });
    expect(t.argPos).toEqual({ dest: p(19, 9), content: p(20, 9), mode: p(21, 9) });
    expect(t.templatePos).toEqual({ dest: p(19, 16), content: p(20, 19) });
    expect(pb.plays[0].sections.post_tasks[0].templatePos).toEqual({ image: p(60, 17) });
  });

  it('conditions, notify, tags and other task keywords', () => {
    const t = task('App config');
    expect(t.when).toEqual([
      { value: "version != 'v0'", pos: p(24, 11) },
      { value: 'kernel is succeeded', pos: p(25, 11) },
    ]);
    expect(t.notify).toEqual(['restart app']);
    expect(t.tags).toEqual(['deploy', 'web', 'config']);
    expect(task('command: uname -r')).toMatchObject({ register: 'kernel', changedWhen: [{ value: 'false', pos: p(15, 21) }] });
    expect(task('Wait')).toMatchObject({
      until: [{ value: 'health.rc == 0', pos: p(38, 15) }],
      retries: 5,
      delay: 0.5,
      ignoreErrors: true,
      checkMode: false,
      register: 'health',
      runOnce: false,
      noLog: false,
    });
  });

  it('loops with loop_control', () => {
    expect(task('Items')).toMatchObject({
      loop: { value: '{{ servers }}', pos: p(32, 14) },
      loopVar: 'server',
      indexVar: 'idx',
      loopLabel: '{{ server.name }}',
    });
    expect(task('App config').loop).toBeUndefined();
    expect(task('App config').loopVar).toBe('item');
  });

  it('flattens blocks: conditions first from the block, tags and become inherited', () => {
    const t = task('In block');
    expect(t.when.map((w) => w.value)).toEqual(["version == 'v2'", 'health is failed']);
    expect(t.when[0].pos).toEqual(p(47, 17));
    expect(t.tags).toEqual(['deploy', 'web', 'blocky']);
    expect(t.becomeUser).toBe('app');
    expect(pb.warnings).toEqual([
      { msg: 'tasks[5].when: conditions are expressions, write them without {{ }}', pos: p(47, 14) },
    ]);
  });

  it('imports task files with their own positions and the import keywords', () => {
    const t = task('Extra one');
    const file = `${FIX}/tasks/extra.yml`;
    expect(t.pos).toEqual(p(1, 3, file));
    expect(t.when).toEqual([{ value: 'extra_flag', pos: p(3, 9, file) }]);
    expect(t.vars).toEqual({ extra_flag: true });
    expect(t.tags).toEqual(['deploy', 'web', 'imported']);
    expect(task('Extra two').args).toEqual({ cmd: 'true' });
  });

  it('handlers keep their own tags and listen topics', () => {
    expect(pb.plays[0].handlers).toHaveLength(1);
    expect(pb.plays[0].handlers[0]).toMatchObject({ name: 'restart app', listen: ['app changed'], tags: [] });
  });
});

describe('loadPlaybook: errors with positions', () => {
  it('reports malformed YAML at its position', async () => {
    expect(await errorsOf('malformed.yml')).toEqual([
      `${FIX}/malformed.yml:4:16: YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (the [ here is never closed)`,
    ]);
  });

  it('reports every schema violation at file:line:col', async () => {
    const f = `${FIX}/schema-errors.yml`;
    expect(await errorsOf('schema-errors.yml')).toEqual([
      `${f}:2:13: strategy: expected 'linear' or 'free', found 'fastest'`,
      `${f}:3:11: serial: expected an integer, a percentage like "50%", or a list of them, found 'lots'`,
      `${f}:4:11: become: expected a boolean (true/false, yes/no), found 'maybe'`,
      `${f}:5:3: hots: unknown key 'hots' (did you mean 'hosts'?)`,
      `${f}:11:13: tasks[1].when: expected a string or list of strings, found a number`,
      `${f}:14:16: tasks[2].retries: expected an integer, found 'many'`,
      `${f}:15:17: tasks[2].register: expected a variable name (letters, digits, _), found 'not a name'`,
      `${f}:18:19: tasks[3].when[1]: expected a string, found a number`,
      `${f}:19:3: plays[1]: missing required key 'hosts'`,
    ]);
  });

  it('reports module problems: unknown (with a suggestion), two, none, arguments', async () => {
    const f = `${FIX}/module-errors.yml`;
    expect(await errorsOf('module-errors.yml')).toEqual([
      `${f}:4:7: tasks[0]: unknown module 'cpy' (did you mean 'copy'?)`,
      `${f}:7:7: tasks[1]: a task has exactly one module, found 'copy' and 'file'`,
      `${f}:8:7: tasks[2]: no module in this task: expected one key naming a module (command, copy, debug, docker_container, file, shell, template)`,
      `${f}:12:7: tasks[3]: unknown task keyword 'whne' (did you mean 'when'?)`,
      `${f}:14:21: tasks[4].copy.dest: expected a string, found a number`,
      `${f}:14:36: tasks[4].copy.bogus: unknown key 'bogus'`,
      `${f}:18:7: tasks[6].file: missing required key 'path'`,
      `${f}:20:21: tasks[7].file: expected key=value arguments (this module has no free form), found 'touch'`,
      `${f}:22:7: tasks[8]: unknown module 'ansible.builtin.cpoy' (did you mean 'copy'?)`,
    ]);
  });

  it('a misspelled required parameter is named once, as the misspelling', async () => {
    const f = `${FIX}/misspelled-params.yml`;
    expect(await errorsOf('misspelled-params.yml')).toEqual([
      `${f}:3:15: tasks[0].copy.dst: unknown key 'dst' (did you mean 'dest'?)`,
      `${f}:4:15: tasks[1].file.pth: unknown key 'pth' (did you mean 'path'?)`,
    ]);
  });

  it('reports expression and template syntax, and notify without a handler', async () => {
    const f = `${FIX}/syntax-errors.yml`;
    const errs = await errorsOf('syntax-errors.yml');
    expect(errs).toHaveLength(4);
    expect(errs[0]).toBe(`${f}:5:25: tasks[0].when: invalid expression "version ==": unexpected end of expression`);
    expect(errs[1]).toMatch(new RegExp(`^${f}:8:31: tasks\\[1\\]\\.debug\\.msg: unsupported filter 'nofilter' \\(supported: abs, b64decode, `));
    expect(errs[2]).toBe(`${f}:13:14: tasks[2].changed_when: invalid expression "rc && 1": unexpected '&&': use 'and'`);
    expect(errs[3]).toBe(`${f}:16:15: tasks[3].notify: no handler named 'restart ap' in this play (did you mean 'restart app'?)`);
  });

  it('names Ansible play and task keywords it does not support, and accepts gather_subset', async () => {
    const file = await tmpPlaybook('- hosts: all\n  order: sorted\n  force_handlers: true\n  gather_subset: [min]\n  gather_timeout: 5\n  tasks:\n    - command: "true"\n      module_defaults: {}\n');
    const err = await loadPlaybook(file, { knownModules }).then(() => undefined, (e: ConfigErrors) => e.errors.map((x) => x.message));
    expect(err).toEqual([
      `${file}:2:3: order: an Ansible play keyword runbook does not support: hosts run in inventory order`,
      `${file}:3:3: force_handlers: an Ansible play keyword runbook does not support: handlers of a failed host do not run`,
      `${file}:8:7: tasks[0].module_defaults: module_defaults is not supported: give the parameters on the task`,
    ]);
  });

  it('explains unsupported Ansible features', async () => {
    const f = `${FIX}/unsupported.yml`;
    const errs = await errorsOf('unsupported.yml');
    expect(errs[0]).toBe(`${f}:1:20: plays[0].import_playbook: file not found: other.yml (looked at ${path.resolve(FIX, 'other.yml')})`);
    expect(errs.find((e) => e.includes("role 'common'"))).toMatch(new RegExp(`^${f}:3:11: roles\\[0\\]: role 'common' not found \\(looked in ${path.resolve(FIX, 'roles/common')}, `));
    // block/rescue/always is supported: the fixture's block with a rescue loads.
    expect(errs.filter((e) => e.includes('tasks[0]'))).toEqual([]);
    expect(errs).toContain(`${f}:12:7: tasks[1].environment: environment is not supported: pass variables in the command (env VAR=x cmd) or the module (docker_container env)`);
    expect(errs).toContain(`${f}:15:7: tasks[2].with_together: with_together is not supported`);
    expect(errs).toContain(`${f}:18:7: tasks[3].listen: listen is for handlers only`);
    expect(errs.find((e) => e.includes('nope.yml'))).toMatch(new RegExp(`^${f}:20:21: tasks\\[4\\]\\.import_tasks: file not found: nope.yml \\(looked at `));
    expect(errs.find((e) => e.includes('vars_files'))).toMatch(new RegExp(`^${f}:21:16: vars_files: file not found: vars/missing.yml`));
  });

  it('accepts a rollout section (batches canary first; halt by default)', async () => {
    const file = await tmpPlaybook('- hosts: all\n  rollout:\n    batch: [1, "50%"]\n  tasks:\n    - debug: msg=x\n');
    const pb = await loadPlaybook(file, { knownModules });
    expect(pb.plays[0]!.rollout).toEqual({ batch: [1, '50%'], onFailure: 'halt' });
  });

  it('detects import cycles', async () => {
    const errs = await errorsOf('cycle.yml');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/tasks\/cycle-b\.yml:2:17: tasks\[1\]\.import_tasks: cycle-a\.yml imports itself \(.*cycle-a\.yml → .*cycle-b\.yml → .*cycle-a\.yml\)/);
  });

  it('reports a missing or empty playbook', async () => {
    await expect(loadPlaybook(`${FIX}/does-not-exist.yml`, { knownModules })).rejects.toThrow(`playbook not found: ${FIX}/does-not-exist.yml`);
    const empty = await tmpPlaybook('# nothing\n');
    await expect(loadPlaybook(empty, { knownModules })).rejects.toThrow(/:1:1: the playbook is empty/);
    const map = await tmpPlaybook('hosts: all\n');
    await expect(loadPlaybook(map, { knownModules })).rejects.toThrow(/:1:1: playbook: expected a list of plays, found a map/);
  });

  it('collects every error of a file, sorted by position', async () => {
    const file = await tmpPlaybook('- hosts: all\n  tasks:\n    - cpy: {}\n    - debug: msg=x\n      when: 1\n  strategy: x\n');
    try {
      await loadPlaybook(file, { knownModules });
      expect.unreachable();
    } catch (e) {
      const lines = (e as ConfigErrors).errors.map((x) => `${x.pos?.line}:${x.pos?.col}`);
      expect(lines).toEqual(['3:7', '5:13', '6:13']);
    }
  });
});

describe('module arguments at load time', () => {
  it('skips checks a template decides, but not the others', async () => {
    const file = await tmpPlaybook(
      [
        '- hosts: all',
        '  tasks:',
        '    - copy: { dest: "{{ d }}", content: "{{ c }}", mode: "{{ m }}", backup: "{{ b }}" }',
        '    - copy: { dest: /x, content: x, backup: "{{ b }}", bogus: 1 }',
        '    - docker_container: { name: app, ports: "{{ ports }}", state: "{{ s }}" }',
        '    - file: path={{ p }} state=touch',
        '    - copy: "dest={{ d }} content=x backup=yes"',
        '',
      ].join('\n'),
    );
    try {
      await loadPlaybook(file, { knownModules });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigErrors).errors.map((x) => x.message.replace(/^.*?pb\.yml:/, ''))).toEqual([
        "4:56: tasks[1].copy.bogus: unknown key 'bogus'",
      ]);
    }
  });

  it('types key=value arguments from the schema', async () => {
    const file = await tmpPlaybook('- hosts: all\n  tasks:\n    - copy: dest=/x content="a b" backup=yes mode=0644\n');
    const pb = await loadPlaybook(file, { knownModules });
    expect(pb.plays[0].sections.tasks[0].args).toEqual({ dest: '/x', content: 'a b', backup: true, mode: '0644' });
  });
});

describe('YAML 1.1 as Ansible reads it', () => {
  it('yes is true, 0755 is octal; y, n, 80:80 and dates stay strings', async () => {
    const pb = await load('yaml11.yml');
    expect(pb.plays[0].vars).toEqual({ short_yes: 'y', short_no: 'n', word_yes: true, octal: 493, ports: '80:80', day: '2024-01-31' });
  });
});

describe('helpers', () => {
  it('normalizeTags', () => {
    expect(normalizeTags('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(normalizeTags(['x', 1, 'x'])).toEqual(['x', '1']);
    expect(normalizeTags(undefined)).toEqual([]);
  });

  it('normalizeSerial', () => {
    expect(normalizeSerial(3)).toEqual([3]);
    expect(normalizeSerial('30 %')).toEqual(['30%']);
    expect(normalizeSerial('2')).toEqual([2]);
    expect(normalizeSerial([1, '50%'])).toEqual([1, '50%']);
    expect(normalizeSerial(undefined)).toBeUndefined();
    expect(normalizeSerial(0)).toBeUndefined();
  });

  it('splitArgs keeps quoted words together', () => {
    expect(splitArgs(`a=1 b="x y" c='p q'  d`).map((t) => t.text)).toEqual(['a=1', 'b="x y"', "c='p q'", 'd']);
    expect(splitArgs('path={{ base }}/x mode={{ m | default("0644") }}').map((t) => t.text)).toEqual(['path={{ base }}/x', 'mode={{ m | default("0644") }}']);
  });
});
