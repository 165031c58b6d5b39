import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigErrors } from '../../../src/core/errors.js';
import { layeredVars } from '../../../src/executor/vars.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { loopFormItems } from '../../../src/playbook/loops.js';
import { findRole } from '../../../src/playbook/roles.js';
import type { Play, Playbook, Task } from '../../../src/playbook/types.js';
import { displayPath } from '../../../src/playbook/yaml.js';
import { knownModules } from './modules.js';

/** A scratch folder with the given files (relative path → content). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-roles-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

const load = (dir: string, file = 'site.yml') => loadPlaybook(path.join(dir, file), { knownModules });

async function errorsOf(dir: string, file = 'site.yml'): Promise<string[]> {
  try {
    await load(dir, file);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error('loaded without errors');
}

const names = (tasks: Task[]) => tasks.map((t) => t.name);
const debug = (msg: string) => `- name: ${msg}\n  debug: { msg: "${msg}" }\n`;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('roles: layout, order, dependencies', () => {
  const files = {
    'site.yml': [
      '- hosts: all',
      '  pre_tasks:',
      '    - { name: pre, debug: { msg: pre } }',
      '  roles:',
      '    - web',
      '    - role: web',
      '      vars: { port: 8080 }',
      '    - web',
      '  tasks:',
      '    - { name: play task, debug: { msg: t }, notify: restart web }',
      '  handlers:',
      '    - { name: play handler, debug: { msg: h } }',
      '',
    ].join('\n'),
    'roles/common/tasks/main.yml': debug('common task'),
    'roles/common/defaults/main.yml': 'common_only: 1\nshared: from common\n',
    'roles/web/meta/main.yml': 'galaxy_info: { author: me }\ndependencies:\n  - common\n',
    'roles/web/tasks/main.yml': `${debug('web task')}- import_tasks: extra.yml\n`,
    'roles/web/tasks/extra.yml': debug('web extra'),
    'roles/web/handlers/main.yml': debug('restart web'),
    'roles/web/defaults/main.yml': 'port: 80\nshared: from web\n',
    'roles/web/vars/main.yml': 'web_conf: /etc/web\n',
  };
  let pb: Playbook;
  let play: Play;

  it('runs dependencies first, each role once per set of parameters, after pre_tasks and before tasks', async () => {
    pb = await load(tree(files));
    play = pb.plays[0]!;
    expect(names(play.sections.pre_tasks)).toEqual(['pre']);
    expect(names(play.sections.tasks)).toEqual(['common task', 'web task', 'web extra', 'web task', 'web extra', 'play task']);
  });

  it('adds role handlers before the play handlers, also under "role : name"', () => {
    expect(names(play.handlers)).toEqual(['restart web', 'play handler']);
    expect(play.handlers[0]!.listen).toEqual(['web : restart web']);
    expect(play.handlers[0]!.role?.name).toBe('web');
  });

  it('gives role tasks their role folder, defaults (dependencies below), vars and parameters', () => {
    const [common, web1, , web2] = play.sections.tasks;
    expect(web1!.role).toMatchObject({ name: 'web', params: {} });
    expect(web1!.role!.dir).toBe(path.join(path.dirname(pb.path), 'roles/web'));
    expect(web1!.role!.defaults).toEqual({ common_only: 1, shared: 'from web', port: 80 });
    expect(web1!.role!.vars).toEqual({ web_conf: '/etc/web' });
    expect(web2!.role!.params).toEqual({ port: 8080 });
    // common's own tasks see common's defaults over the other roles' (every role is seen by the play).
    expect(common!.role!.defaults).toMatchObject({ shared: 'from common', port: 80 });
    // Play tasks see every role's defaults and vars.
    expect(play.roleDefaults).toEqual({ common_only: 1, shared: 'from web', port: 80 });
    expect(play.roleVars).toEqual({ web_conf: '/etc/web' });
    expect(play.sections.tasks.at(-1)!.role).toBeUndefined();
  });

  it('places each layer where Ansible does: defaults < inventory < play < role vars < task < registered < params < -e', () => {
    const role = play.sections.tasks[3]!.role!;
    const v = (over: Partial<Parameters<typeof layeredVars>[0]>) =>
      layeredVars({
        roleDefaults: role.defaults,
        inventory: {},
        play: {},
        varsFiles: {},
        roleVars: role.vars,
        task: {},
        registered: {},
        roleParams: role.params,
        extra: {},
        magic: {},
        ...over,
      });
    expect(v({}).shared).toBe('from web');
    expect(v({ inventory: { shared: 'inventory' } }).shared).toBe('inventory');
    expect(v({ play: { web_conf: 'play' } }).web_conf).toBe('/etc/web');
    expect(v({ task: { web_conf: 'task' } }).web_conf).toBe('task');
    expect(v({ registered: { port: 1 } }).port).toBe(8080);
    expect(v({ extra: { port: 2 } }).port).toBe(2);
  });
});

describe('roles: entries, search path and errors', () => {
  it('takes when, tags and keywords of a roles: entry to every task of the role and its dependencies', async () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  roles:\n    - { role: web, when: "x == 1", tags: [w], become: true }\n',
      'roles/web/meta/main.yml': 'dependencies: [{ role: base, tags: b }]\n',
      'roles/web/tasks/main.yml': debug('web'),
      'roles/base/tasks/main.yml': debug('base'),
    });
    const tasks = (await load(dir)).plays[0]!.sections.tasks;
    expect(names(tasks)).toEqual(['base', 'web']);
    expect(tasks[0]!.tags).toEqual(['w', 'b']);
    expect(tasks[0]!.when.map((w) => w.value)).toEqual(['x == 1']);
    expect(tasks[1]!).toMatchObject({ tags: ['w'], become: true });
  });

  it('finds roles next to the playbook, then RUNBOOK_ROLES_PATH, then ANSIBLE_ROLES_PATH', async () => {
    const a = tree({ 'r1/tasks/main.yml': debug('from runbook path'), 'r2/tasks/main.yml': debug('runbook r2') });
    const b = tree({ 'r2/tasks/main.yml': debug('ansible r2'), 'r3/tasks/main.yml': debug('from ansible path') });
    const dir = tree({ 'site.yml': '- hosts: all\n  roles: [r0, r1, r2, r3]\n', 'roles/r0/tasks/main.yml': debug('next to the playbook') });
    vi.stubEnv('RUNBOOK_ROLES_PATH', `/nonexistent:${a}`);
    vi.stubEnv('ANSIBLE_ROLES_PATH', b);
    expect(names((await load(dir)).plays[0]!.sections.tasks)).toEqual(['next to the playbook', 'from runbook path', 'runbook r2', 'from ansible path']);
    expect(findRole('r3', dir).dir).toBe(path.join(b, 'r3'));
    expect(findRole('./roles/r0', dir).dir).toBe(path.join(dir, 'roles/r0'));
  });

  it('a missing role names every place looked and the search path variables, at the entry', async () => {
    vi.stubEnv('RUNBOOK_ROLES_PATH', '');
    vi.stubEnv('ANSIBLE_ROLES_PATH', '/opt/roles');
    const dir = tree({ 'site.yml': '- hosts: all\n  roles:\n    - common\n    - { role: webb, vars: { a: 1 } }\n' });
    const f = displayPath(path.join(dir, 'site.yml'));
    const errs = await errorsOf(dir);
    expect(errs).toEqual([
      `${f}:3:7: roles[0]: role 'common' not found (looked in ${dir}/roles/common, /opt/roles/common, ${dir}/common; RUNBOOK_ROLES_PATH unset, ANSIBLE_ROLES_PATH=/opt/roles)`,
      `${f}:4:15: roles[1]: role 'webb' not found (looked in ${dir}/roles/webb, /opt/roles/webb, ${dir}/webb; RUNBOOK_ROLES_PATH unset, ANSIBLE_ROLES_PATH=/opt/roles)`,
    ]);
  });

  it('a dependency cycle is an error at the dependency that closes it', async () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  roles: [a]\n',
      'roles/a/meta/main.yml': 'dependencies:\n  - b\n',
      'roles/b/meta/main.yml': 'dependencies:\n  - role: a\n',
    });
    const errs = await errorsOf(dir);
    expect(errs).toEqual([`${displayPath(path.join(dir, 'roles/b/meta/main.yml'))}:2:11: dependencies[0]: role dependency cycle: a → b → a (role 'a' at ${displayPath(path.join(dir, 'roles/a'))})`]);
  });

  it('errors inside a role name the role file', async () => {
    const dir = tree({ 'site.yml': '- hosts: all\n  roles: [a]\n', 'roles/a/tasks/main.yml': '- name: x\n  nosuchmodule: {}\n' });
    const errs = await errorsOf(dir);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(new RegExp(`^${displayPath(path.join(dir, 'roles/a/tasks/main.yml'))}:2:3: tasks\\[0\\]: unknown module 'nosuchmodule'`));
  });

  it('a role name cannot be a template; allow_duplicates runs a repeat', async () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  roles: ["{{ r }}", a, a]\n',
      'roles/a/meta/main.yml': 'allow_duplicates: true\n',
      'roles/a/tasks/main.yml': debug('a'),
    });
    expect(await errorsOf(dir)).toEqual([`${displayPath(path.join(dir, 'site.yml'))}:2:12: roles[0]: a role name cannot be a template (roles are read when the playbook is loaded)`]);
    writeFileSync(path.join(dir, 'site.yml'), '- hosts: all\n  roles: [a, a]\n');
    expect(names((await load(dir)).plays[0]!.sections.tasks)).toEqual(['a', 'a']);
  });
});

describe('import_role / include_role', () => {
  const role = {
    'roles/app/tasks/main.yml': debug('app main'),
    'roles/app/tasks/deploy.yml': debug('app deploy'),
    'roles/app/defaults/main.yml': 'level: default\n',
    'roles/app/defaults/prod.yml': 'level: prod\n',
    'roles/app/handlers/main.yml': debug('app handler'),
  };

  it('runs the role (or tasks_from) where the task is, every time, with the task keywords', async () => {
    const dir = tree({
      ...role,
      'site.yml': [
        '- hosts: all',
        '  tasks:',
        '    - import_role: { name: app }',
        '    - name: deploy it',
        '      include_role:',
        '        name: app',
        '        tasks_from: deploy',
        '        defaults_from: prod.yml',
        '      tags: [deploy]',
        '      vars: { x: 1 }',
        '    - import_role: name=app',
        '',
      ].join('\n'),
    });
    const play = (await load(dir)).plays[0]!;
    expect(names(play.sections.tasks)).toEqual(['app main', 'app deploy', 'app main']);
    expect(play.sections.tasks[1]!).toMatchObject({ tags: ['deploy'], vars: { x: 1 } });
    expect(play.sections.tasks[1]!.role!.defaults.level).toBe('prod');
    expect(play.sections.tasks[0]!.role!.defaults.level).toBe('default');
    // import_role's variables are the play's; include_role's stay its own.
    expect(play.roleDefaults).toEqual({ level: 'default' });
    expect(names(play.handlers)).toEqual(['app handler']);
  });

  it('include_role over a list written out runs once per item; over a template it is refused', async () => {
    const dir = tree({
      ...role,
      'site.yml': '- hosts: all\n  tasks:\n    - include_role: { name: app }\n      loop: [a, b]\n      loop_control: { loop_var: which, index_var: i }\n',
    });
    const tasks = (await load(dir)).plays[0]!.sections.tasks;
    expect(tasks.map((t) => [t.vars.which, t.vars.i])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    writeFileSync(path.join(dir, 'site.yml'), '- hosts: all\n  tasks:\n    - include_role: { name: app }\n      loop: "{{ apps }}"\n');
    expect(await errorsOf(dir)).toEqual([
      `${displayPath(path.join(dir, 'site.yml'))}:4:7: tasks[0].loop: a loop over a template is not supported on include_role: its tasks are read when the playbook is loaded, so write the items out as a list, or put the loop on the tasks inside`,
    ]);
  });

  it('errors: a missing tasks_from file, an unknown option, a templated name', async () => {
    const dir = tree({
      ...role,
      'site.yml': [
        '- hosts: all',
        '  tasks:',
        '    - import_role: { name: app, tasks_from: nope }',
        '    - include_role: { name: app, task_from: deploy }',
        '    - include_role: { name: "{{ r }}" }',
        '    - include_role: { name: app, apply: { tags: [x] } }',
        '',
      ].join('\n'),
    });
    const f = displayPath(path.join(dir, 'site.yml'));
    const r = path.join(dir, 'roles/app');
    expect(await errorsOf(dir)).toEqual([
      `${f}:3:22: tasks[0].import_role: role 'app' (at ${displayPath(r)}) has no tasks file 'nope' (looked at ${r}/tasks/nope.yml, ${r}/tasks/nope.yaml, ${r}/tasks/nope.json, ${r}/tasks/nope)`,
      `${f}:4:34: tasks[1].include_role.task_from: unknown key 'task_from' (did you mean 'tasks_from'?)`,
      `${f}:5:23: tasks[2].include_role.name: expected a file name (not a template: roles are read when the playbook is loaded), found '{{ r }}'`,
      `${f}:6:34: tasks[3].include_role.apply: not supported: put the keywords (tags, when, become, …) on the include_role task itself`,
    ]);
  });
});

describe('import_playbook', () => {
  it('puts the plays of the imported file here, in order, with its folder, tags and vars', async () => {
    const dir = tree({
      'site.yml': '- import_playbook: sub/base.yml\n  tags: [base]\n  vars: { v: 1 }\n- hosts: web\n  tasks:\n    - debug: { msg: web }\n',
      'sub/base.yml': '- hosts: all\n  vars: { v: 0, w: 2 }\n  vars_files: [vars.yml]\n  roles: [r]\n- import_playbook: more.yml\n',
      'sub/vars.yml': 'a: 1\n',
      'sub/more.yml': '- hosts: db\n  tasks:\n    - copy: { src: x.txt, dest: /tmp/x }\n',
      'sub/x.txt': 'x',
      'sub/roles/r/tasks/main.yml': debug('r'),
    });
    const pb = await load(dir);
    expect(pb.plays.map((p) => p.hosts)).toEqual(['all', 'db', 'web']);
    expect(pb.plays[0]!).toMatchObject({ vars: { v: 1, w: 2 }, varsFiles: [path.join(dir, 'sub/vars.yml')], tags: ['base'] });
    expect(pb.plays[0]!.sections.tasks[0]!.tags).toEqual(['base']);
    expect(pb.plays[1]!.sections.tasks[0]!.baseDir).toBe(path.join(dir, 'sub'));
    expect(pb.plays[2]!.sections.tasks[0]!.baseDir).toBeUndefined();
  });

  it('a missing file and an import cycle are errors at the import', async () => {
    const dir = tree({ 'site.yml': '- import_playbook: a.yml\n- import_playbook: gone.yml\n', 'a.yml': '- import_playbook: site.yml\n' });
    const f = (n: string) => displayPath(path.join(dir, n));
    expect(await errorsOf(dir)).toEqual([
      `${f('a.yml')}:1:20: plays[0].import_playbook: site.yml imports itself (${f('site.yml')} → ${f('a.yml')} → ${f('site.yml')})`,
      `${f('site.yml')}:2:20: plays[1].import_playbook: file not found: gone.yml (looked at ${path.join(dir, 'gone.yml')})`,
    ]);
  });
});

describe('include_tasks / import_tasks with a loop', () => {
  it('imports the file once per item, with the loop variable and index', async () => {
    const dir = tree({
      'site.yml': '- hosts: all\n  tasks:\n    - include_tasks: t.yml\n      with_items: [[a, b], c]\n      loop_control: { index_var: n }\n',
      't.yml': '- name: "one {{ item }}"\n  debug: { msg: "{{ item }} {{ n }} {{ ansible_loop.index }}" }\n',
    });
    const tasks = (await load(dir)).plays[0]!.sections.tasks;
    expect(tasks.map((t) => [t.vars.item, t.vars.n])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    expect(tasks[2]!.vars.ansible_loop).toMatchObject({ index: 3, last: true, length: 3 });
  });

  it('refuses a loop over a template at the loop keyword', async () => {
    const dir = tree({ 'site.yml': '- hosts: all\n  tasks:\n    - import_tasks: t.yml\n      with_items: "{{ xs }}"\n', 't.yml': debug('t') });
    const errs = await errorsOf(dir);
    expect(errs).toEqual([
      `${displayPath(path.join(dir, 'site.yml'))}:4:7: tasks[0].with_items: a loop over a template is not supported on import_tasks: its tasks are read when the playbook is loaded, so write the items out as a list, or put the loop on the tasks inside`,
    ]);
  });
});

describe('with_* loops', () => {
  it('become loops with their form', async () => {
    const dir = tree({
      'site.yml': [
        '- hosts: all',
        '  tasks:',
        '    - { debug: { msg: "{{ item }}" }, with_items: "{{ xs }}" }',
        '    - { debug: { msg: "{{ item.key }}" }, with_dict: "{{ m }}" }',
        '    - { debug: { msg: "{{ item.key }}" }, with_dict: { a: 1 } }',
        '    - { debug: { msg: "{{ item[0] }}" }, with_nested: [[a, b], [1, 2]] }',
        '    - { debug: { msg: "{{ item }}" }, with_first_found: [a.txt, b.txt] }',
        '    - { debug: { msg: "{{ item }}" }, loop: [1] }',
        '',
      ].join('\n'),
    });
    const tasks = (await load(dir)).plays[0]!.sections.tasks;
    expect(tasks.map((t) => t.loopForm)).toEqual(['flatten', 'dict', 'dict', 'nested', 'first_found', undefined]);
    expect(tasks[2]!.loop!.value).toEqual({ a: 1 });
  });

  it('two loop keywords on one task are an error', async () => {
    const dir = tree({ 'site.yml': '- hosts: all\n  tasks:\n    - debug: { msg: x }\n      loop: [1]\n      with_dict: { a: 1 }\n' });
    expect(await errorsOf(dir)).toEqual([`${displayPath(path.join(dir, 'site.yml'))}:5:7: tasks[0]: use only one of loop, with_dict`]);
  });

  it('loopFormItems: flatten one level, dict items, nested products, first found', () => {
    expect(loopFormItems('flatten', [[1, [2]], 3], [])).toEqual([1, [2], 3]);
    expect(loopFormItems('dict', { b: 1, a: { x: 2 } }, [])).toEqual([
      { key: 'b', value: 1 },
      { key: 'a', value: { x: 2 } },
    ]);
    expect(() => loopFormItems('dict', [1], [])).toThrow('with_dict expects a map, found a list');
    expect(loopFormItems('nested', [['a', 'b'], [1, 2]], [])).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['b', 2],
    ]);
    const exists = (p: string) => p === '/role/templates/b.j2' || p === '/pb/files/a';
    expect(loopFormItems('first_found', ['x.j2', 'b.j2', 'a'], ['/role/templates', '/pb/files'], exists)).toEqual(['/role/templates/b.j2']);
    expect(loopFormItems('first_found', { files: ['a'], paths: ['files'] }, ['/role/templates', '/pb'], exists)).toEqual(['/pb/files/a']);
    expect(loopFormItems('first_found', { files: ['zz'], skip: true }, ['/r'], exists)).toEqual([]);
    expect(() => loopFormItems('first_found', ['zz'], ['/r'], exists)).toThrow('with_first_found: none of the files exists (looked at /r/zz)');
  });
});
