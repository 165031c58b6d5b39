// Values full of shell metacharacters, quotes, newlines, template syntax and non-ASCII go
// through every way a value reaches a host: a command's argv, a file path, copy content, a
// template variable, a container's env and labels. Each must arrive byte-exact on a real host
// (or be refused clearly: none of these values should be). The values are drawn at random;
// the seed is printed on failure and INJECTION_SEED replays it.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ssh } from '../fleet/fleet.mjs';
import { runbook, scratch } from '../support/cli.js';

const fleet = inject('fleet');
const H = 'h1';
const tag = randomBytes(3).toString('hex');
const DIR = `/root/rbt-inject-${tag}`;
const CONTAINER = `rbt-inject-${tag}`;
const SEED = Number(process.env.INJECTION_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Characters that break naive quoting, templating or encoding. */
const NASTY = [..." \t\n\r'\"\\$`;|&<>(){}[]*?!#~%=-:,@^", 'é', 'ü', '中', '文', '🚀', '\u0001', '\u007f'];
const nastyChar = fc.oneof(fc.constantFrom(...NASTY), fc.constantFrom(...'abcxyz019'));
const nastyString = fc.array(nastyChar, { minLength: 0, maxLength: 40 }).map((cs) => cs.join(''));

/** The classics, always tried. */
const CLASSICS = [
  '$(touch /tmp/rbt-pwned)',
  '`touch /tmp/rbt-pwned`',
  "'; touch /tmp/rbt-pwned; echo '",
  '"; touch /tmp/rbt-pwned; echo "',
  '{{ 7 * 7 }}',
  "{% if true %}x{% endif %}{# c #}",
  "{{ '{{' }}",
  '\\{{ x }}',
  '-rf',
  '--help',
  'line one\nline two\n',
  ' leading and trailing ',
  '',
  '\\',
  'ünïcödé 中文 🚀',
  '$HOME ${PATH} %s %n',
  '*',
];

/** A file name from a value: no '/', not '.', '..' or empty, at most 200 bytes. */
function fileName(v: string, i: number): string {
  const s = v.replaceAll('/', '_').replaceAll('\0', '_');
  const n = s === '' || s === '.' || s === '..' ? `${s}_${i}` : s;
  return Buffer.from(n).length > 200 ? `${i}` : n;
}

/** YAML that yields `s` exactly, never templated (Ansible's !unsafe). */
const unsafe = (s: string) => `!unsafe ${JSON.stringify(s)}`;

describe('injection: hostile values arrive byte-exact on a real host', () => {
  const values = [...CLASSICS, ...fc.sample(nastyString, { seed: SEED, numRuns: 24 })];
  const names = [...new Set(values.map(fileName))];
  const dir = scratch({});
  const replay = `(INJECTION_SEED=${SEED} replays these values)`;

  afterAll(async () => {
    await ssh(fleet, H, `rm -rf ${DIR}; docker rm -f ${CONTAINER} >/dev/null 2>&1; true`);
  });

  const vars = [
    `dir: ${DIR}`,
    'values:',
    ...values.map((v) => `  - ${unsafe(v)}`),
    'names:',
    ...names.map((v) => `  - ${unsafe(v)}`),
    'env_map:',
    ...values.map((v, i) => `  V${i}: ${unsafe(v)}`),
    'label_map:',
    ...values.map((v, i) => `  inject.v${i}: ${unsafe(v)}`),
  ].join('\n');
  writeFileSync(path.join(dir, 'values.yml'), `${vars}\n`);
  writeFileSync(path.join(dir, 'value.j2'), '{{ item }}');
  const byIndex = { loop: '{{ values }}', loop_control: { index_var: 'idx', label: '{{ idx }}' } };
  const playbook = [
    {
      hosts: H,
      vars_files: ['values.yml'],
      tasks: [
        { name: 'folders', file: { path: '{{ dir }}/names', state: 'directory' } },
        { name: 'argv', command: { argv: ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', '{{ item }}', '{{ dir }}/argv-{{ idx }}'], creates: '{{ dir }}/argv-{{ idx }}' }, ...byIndex },
        { name: 'content', copy: { dest: '{{ dir }}/content-{{ idx }}', content: '{{ item }}' }, ...byIndex },
        { name: 'template', template: { src: 'value.j2', dest: '{{ dir }}/template-{{ idx }}' }, ...byIndex },
        { name: 'paths', copy: { dest: '{{ dir }}/names/{{ item }}', content: 'x' }, loop: '{{ names }}', loop_control: { label: 'a name' } },
        { name: 'container', docker_container: { name: CONTAINER, image: 'runbook-app:v1', pull: 'never', state: 'present', env: '{{ env_map }}', labels: '{{ label_map }}' } },
      ],
    },
  ];
  writeFileSync(path.join(dir, 'p.yml'), JSON.stringify(playbook, null, 1));
  const play = () => runbook(['play', path.join(dir, 'p.yml'), '-i', fleet.inventoryPath, '--output', 'json'], { cwd: dir });

  /** Every top-level file's bytes on the host, base64, by name (one round trip). */
  const hostFiles = async () => {
    const r = await ssh(fleet, H, `cd ${DIR} && for f in *-*; do printf '%s ' "$f"; base64 -w0 "$f"; echo; done`);
    expect(r.code, r.stderr).toBe(0);
    return new Map(r.stdout.trim().split('\n').map((l) => [l.split(' ')[0]!, l.split(' ')[1] ?? ''] as const));
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('the first run puts every value on the host as written, and runs nothing it carries', async () => {
    const r = await play();
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)} ${replay}`).toBe(0);
    const files = await hostFiles();
    for (const [i, v] of values.entries()) {
      for (const kind of ['argv', 'content', 'template']) {
        expect(files.get(`${kind}-${i}`), `${kind} of ${JSON.stringify(v)} ${replay}`).toBe(b64(v));
      }
    }
    const listed = await ssh(fleet, H, `find ${DIR}/names -mindepth 1 -maxdepth 1 -printf '%f\\0' | base64 -w0`);
    const onHost = Buffer.from(listed.stdout.trim(), 'base64').toString('utf8').split('\0').filter(Boolean).sort();
    expect(onHost, replay).toEqual([...names].sort());

    const inspect = await ssh(fleet, H, `docker inspect -f '{{json .Config.Env}}{{"\\n"}}{{json .Config.Labels}}' ${CONTAINER}`);
    expect(inspect.code, inspect.stderr).toBe(0);
    const [envJson, labelsJson] = inspect.stdout.trim().split('\n');
    const env = JSON.parse(envJson!) as string[];
    const labels = JSON.parse(labelsJson!) as Record<string, string>;
    for (const [i, v] of values.entries()) {
      expect(env, `env V${i} ${replay}`).toContain(`V${i}=${v}`);
      expect(labels[`inject.v${i}`], `label ${i} ${replay}`).toBe(v);
    }
    expect((await ssh(fleet, H, 'test -e /tmp/rbt-pwned && echo pwned || echo clean')).stdout.trim()).toBe('clean');
  });

  it('a second run finds every value already in place: nothing changes', async () => {
    const r = await play();
    expect(r.code, r.stderr).toBe(0);
    const changed = r.events.filter((e) => e.type === 'task:done' && e.outcome.status === 'changed').map((e) => e.task.name);
    expect(changed, replay).toEqual([]);
  });
});
