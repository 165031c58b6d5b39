import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../src/core/errors.js';
import {
  DecidedAtRunTime,
  HELPERS,
  checkTemplate,
  isHandlebars,
  renderDeep,
  renderString,
  renderText,
  runtimeUnknown,
} from '../../../src/template/render.js';

const pos = { file: 'pb.yml', line: 10, col: 12 };

function err(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
}

describe('renderString: value versus text', () => {
  const vars = { servers: ['a', 'b'], port: 8080, cfg: { x: 1 }, on: true, name: 'web', empty: null };

  it('returns strings without {{ as they are', () => {
    expect(renderString('plain text', vars)).toBe('plain text');
    expect(renderString('', vars)).toBe('');
  });

  it('yields the value of a single {{ expr }} with nothing around it', () => {
    expect(renderString('{{ servers }}', vars)).toEqual(['a', 'b']);
    expect(renderString('{{port}}', vars)).toBe(8080);
    // Text around it, even a newline, makes it a string: "{{ x }}\n" keeps its newline.
    expect(renderString('{{ port }}\n', vars)).toBe('8080\n');
    expect(renderString(' {{ port }}', vars)).toBe(' 8080');
    expect(renderString('{{ cfg }}', vars)).toEqual({ x: 1 });
    expect(renderString('{{ on }}', vars)).toBe(true);
    expect(renderString('{{ empty }}', vars)).toBeNull();
    expect(renderString('{{{ cfg }}}', vars)).toEqual({ x: 1 });
    expect(renderString('{{ len servers }}', vars)).toBe(2);
  });

  it('renders text when there is more than one placeholder or any text', () => {
    expect(renderString('port {{ port }}', vars)).toBe('port 8080');
    expect(renderString('{{ name }}:{{ port }}', vars)).toBe('web:8080');
    // Values inside text print as Ansible prints them (Python's str), None as nothing.
    expect(renderString('list={{ servers }}', vars)).toBe("list=['a', 'b']");
    expect(renderString('m={{ cfg }} n={{ empty }} on={{ on }}', vars)).toBe("m={'x': 1} n= on=True");
    // Handlebars strings print JSON, as before.
    expect(renderString('{{#if on}}list={{ servers }}{{/if}}', vars)).toBe('list=["a","b"]');
  });

  it('never escapes HTML', () => {
    expect(renderString('<{{ s }}>', { s: '<b>&"\'' })).toBe('<<b>&"\'>');
  });

  it('reads fields and indices: a.b, a.[0], a.0', () => {
    const v = { a: { b: { c: 3 } }, l: [{ n: 'x' }, { n: 'y' }] };
    expect(renderString('{{ a.b.c }}', v)).toBe(3);
    expect(renderString('{{ l.[1].n }}', v)).toBe('y');
    expect(renderString('{{ l.0.n }}', v)).toBe('x');
  });

  it('renders template files with blocks', () => {
    const text = [
      'upstream app {',
      '{{#each backends}}',
      '  server {{ this.address }}{{#if this.backup}} backup{{/if}};',
      '{{/each}}',
      '}',
      '{{#unless extra}}no extra{{else}}extra{{/unless}}',
      '',
    ].join('\n');
    const out = renderString(text, { backends: [{ address: 'a:80' }, { address: 'b:80', backup: true }], extra: [] });
    expect(out).toBe('upstream app {\n  server a:80;\n  server b:80 backup;\n}\nno extra\n');
  });

  it('supports block params, @index, @key, ../ and @root', () => {
    const v = { xs: ['a', 'b'], m: { k1: 'v1' }, sep: '-' };
    expect(renderString('{{#each xs as |x i|}}{{i}}{{x}}{{../sep}}{{/each}}', v)).toBe('0a-1b-');
    expect(renderString('{{#each xs}}{{@index}}{{this}}{{@root.sep}}{{/each}}', v)).toBe('0a-1b-');
    expect(renderString('{{#each m}}{{@key}}={{this}}{{/each}}', v)).toBe('k1=v1');
    expect(renderString('{{#with m}}{{k1}}{{/with}}', v)).toBe('v1');
  });

  it('uses when-style truthiness in #if (empty map and list are false)', () => {
    expect(renderString('{{#if m}}y{{else}}n{{/if}}', { m: {} })).toBe('n');
    expect(renderString('{{#if m}}y{{else}}n{{/if}}', { m: 0 })).toBe('n');
    expect(renderString('{{#if m}}y{{else if o}}o{{else}}n{{/if}}', { m: '', o: 1 })).toBe('o');
  });
});

describe('renderString: syntax corners', () => {
  it('numeric segments at the end of a path, escapes, comments, whitespace control', () => {
    const v = { xs: ['a', 'b'], grid: [['x']], name: 'n' };
    expect(renderString('{{ xs.1 }}', v)).toBe('b');
    expect(renderString('{{#each grid.[0]}}{{this}}{{/each}}', v)).toBe('x');
    expect(renderString('{% raw %}{{ name }}{% endraw %} {{ name }}', v)).toBe('{{ name }} n');
    expect(renderString('{{#if name}}\\{{ name }} {{ name }}{{/if}}', v)).toBe('{{ name }} n');
    expect(renderString('a{{!-- a }} comment --}}b{{! short }}c', v)).toBe('abc');
    expect(renderString('[ {{~ name ~}} ]', v)).toBe('[n]');
    expect(renderString('{{ join xs "|" }}', v)).toBe('a|b');
    expect(renderString('{{ join xs " | " }}', v)).toBe('a | b');
  });

  it('renders many times from the cache', () => {
    const t = 'host-{{ n }}';
    for (let i = 0; i < 2000; i++) expect(renderString(t, { n: i })).toBe(`host-${i}`);
  });
});

describe('renderString: strict undefined', () => {
  it('names the variable, the task and the position', () => {
    const e = err(() => renderString('image: {{ foo.bar }}', { foo: {} }, { pos, task: 'Deploy' }));
    expect(e.message).toBe(`pb.yml:10:22: undefined variable 'foo.bar' in task "Deploy"`);
    expect(e.variable).toBe('foo.bar');
    expect(e.pos).toEqual({ file: 'pb.yml', line: 10, col: 22 });
  });

  it('names the first missing segment of a path', () => {
    const e = err(() => renderString('{{ foo.bar }}', {}, { task: 'T' }));
    expect(e.message).toBe(`undefined variable 'foo' in task "T"`);
  });

  it('suggests a close name', () => {
    const e = err(() => renderString('{{ verison }}', { version: 1 }));
    expect(e.message).toContain("(did you mean 'version'?)");
  });

  it('explains a read through null or a scalar', () => {
    const e = err(() => renderString('{{ a.b }}', { a: null }));
    expect(e.message).toContain("undefined variable 'a.b' ('a' is null)");
  });

  it('positions errors on later lines of block scalars', () => {
    const e = err(() => renderString('line one\n  x {{ nope }}', {}, { pos: { file: 'f', line: 3, col: 5 } }));
    expect(e.pos).toEqual({ file: 'f', line: 4, col: 12 });
  });

  it('is strict inside #each and #if too', () => {
    expect(() => renderString('{{#each nope}}x{{/each}}', {})).toThrow(/undefined variable 'nope'/);
    expect(() => renderString('{{#if nope}}x{{/if}}', {})).toThrow(/undefined variable 'nope'/);
    expect(() => renderString('{{#each xs}}{{missing}}{{/each}}', { xs: [{}] })).toThrow(/undefined variable 'missing'/);
  });

  it('never reads prototype members', () => {
    expect(() => renderString('{{ constructor }}', {})).toThrow(/undefined variable 'constructor'/);
    expect(() => renderString('{{ a.__proto__ }}', { a: {} })).toThrow(/undefined variable 'a.__proto__'/);
    expect(() => renderString('{{ s.length }}', { s: 'abc' })).toThrow(/undefined variable 's.length'/);
    expect(() => renderString('{{ l.length }}', { l: [1] })).toThrow(/undefined variable 'l.length'/);
    expect(() => renderString('{{ lookup a "constructor" }}', { a: {} })).toThrow(TemplateError);
  });

  it('reads lazily computed variables (getters) of plain objects', () => {
    const vars: Record<string, unknown> = {};
    Object.defineProperty(vars, 'late', { enumerable: true, get: () => 'ok' });
    expect(renderString('{{ late }}', vars)).toBe('ok');
  });
});

describe('helpers', () => {
  const v = { xs: ['a', 'b'], s: ' Hi ', n: '42', p: '/etc/nginx/nginx.conf', m: { a: 1 }, t: "it's" };

  it('default does not fail on undefined and keeps defined values', () => {
    expect(renderString('{{default nope "fb"}}', v)).toBe('fb');
    expect(renderString('{{default nope.deeper.still 3}}', v)).toBe(3);
    expect(renderString('{{default s "fb"}}', v)).toBe(' Hi ');
    expect(renderString('{{default empty "fb" true}}', { empty: '' })).toBe('fb');
    expect(renderString('x{{default nope}}y', v)).toBe('xy');
    expect(renderString('{{#if (defined m.a)}}y{{/if}}{{#if (defined m.zz)}}n{{/if}}', v)).toBe('y');
  });

  it('string, list and logic helpers', () => {
    expect(renderString('{{join xs ", "}}', v)).toBe('a, b');
    expect(renderString('{{upper s}}|{{lower s}}|{{trim s}}', v)).toBe(' HI | hi |Hi');
    expect(renderString('{{json m}}', v)).toBe('{"a":1}');
    expect(renderString('{{to_yaml m}}', v)).toBe('a: 1');
    expect(renderString('{{#if (and (eq n "42") (ne n "1") (not false))}}y{{/if}}', v)).toBe('y');
    expect(renderString('{{#if (or false 0 "")}}y{{else}}n{{/if}}', v)).toBe('n');
    expect(renderString('{{len xs}} {{len m}} {{len s}}', v)).toBe('2 1 4');
    expect(renderString('{{replace p "nginx" "x"}}', v)).toBe('/etc/x/x.conf');
    expect(renderString('{{basename p}} {{dirname p}}', v)).toBe('nginx.conf /etc/nginx');
    expect(renderString('echo {{quote t}}', v)).toBe(`echo 'it'"'"'s'`);
    expect(renderString('{{int n}}', v)).toBe(42);
    expect(renderString('{{first xs}}{{last xs}}', v)).toBe('ab');
    expect(renderString('{{lookup m "a"}}', v)).toBe(1);
  });

  it('documents every helper', () => {
    const names = HELPERS.map((h) => h.name);
    for (const n of ['default', 'join', 'upper', 'lower', 'json', 'eq', 'ne', 'and', 'or', 'not', 'len', 'replace', 'trim', 'basename', 'dirname', 'quote']) {
      expect(names).toContain(n);
    }
  });

  it('reports misuse with the helper name and position', () => {
    const e = err(() => renderString('a {{join m ","}}', v, { pos }));
    expect(e.message).toBe('pb.yml:10:14: join: join expects a list, found a map');
  });

  it('rejects unknown helpers at compile time with a suggestion', () => {
    const e = err(() => renderString('{{ uper s }}', v, { pos }));
    expect(e.message).toMatch(/^pb.yml:10:15: unknown helper 'uper' \(did you mean 'upper'\?\)/);
    expect(() => checkTemplate('{{> partial}}')).toThrow(/partials/);
    expect(() => checkTemplate('{{#loop xs}}{{/loop}}')).toThrow(/unknown block helper '#loop'/);
  });
});

describe('Jinja-style filters', () => {
  const v = { x: 'Hello', xs: ['a', 'b'], n: '7', yes: 'yes', users: [{ name: 'ann' }, { name: 'bob' }], m: { k: 'v' } };

  it('translates the supported filters', () => {
    expect(renderString("{{ nope | default('y') }}", v)).toBe('y');
    expect(renderString('{{ nope | d("y") }}', v)).toBe('y');
    expect(renderString('{{ x | upper }}', v)).toBe('HELLO');
    expect(renderString("{{ xs | join(',') }}", v)).toBe('a,b');
    expect(renderString('{{ n | int }}', v)).toBe(7);
    expect(renderString('{{ xs | length }}', v)).toBe(2);
    expect(renderString('{{ yes | bool }}', v)).toBe(true);
    expect(renderString("{{ x | lower | replace('l', 'L') }}", v)).toBe('heLLo');
    expect(renderString("{{ users | map(attribute='name') | join(', ') }}", v)).toBe('ann, bob');
    expect(renderString('{{ m | dict2items }}', v)).toEqual([{ key: 'k', value: 'v' }]);
    expect(renderString('a={{ xs[0] }} b={{ m["k"] }} c={{ xs[-1] }}', v)).toBe('a=a b=v c=b');
    expect(renderString("{{ xs | join('\\n') }}", v)).toBe('a\nb');
    expect(renderString('{{ (x | lower) | upper }}', v)).toBe('HELLO');
  });

  it('reads each string in one language: Jinja unless it is written in Handlebars', () => {
    expect(isHandlebars("{{ x | default('y') }} {{ xs[0] }} {% if a %}b{% endif %}")).toBe(false);
    expect(isHandlebars('{{ first if x else last }} {{ not x }} {{ x is defined }} {{ len }}')).toBe(false);
    expect(isHandlebars("{{ '../up' }} {{ 'a.[0]' }} {{ lookup('env', 'HOME') }}")).toBe(false);
    for (const t of ['{{#if x}}y{{/if}}', '{{ join xs "," }}', '{{first groups.lb}}', '{{~ x ~}}', '{{{ x }}}', '{{! c }}', '{{ @index }}', '{{ ../x }}', '{{ a.[0] }}', '{{else}}', '{{and a b}}']) {
      expect(isHandlebars(t), t).toBe(true);
    }
    expect(() => checkTemplate('{% if x %}{{#each y}}{{/each}}{% endif %}', { pos })).toThrow(/^pb.yml:10:12: a template mixes Jinja statements/);
  });

  it('positions errors in the source', () => {
    const e = err(() => renderString("{{ x | default('a') }} {{ xs | join(',') }} {{ nope }}", v, { pos }));
    expect(e.message).toBe(`pb.yml:10:59: undefined variable 'nope'`);
  });

  it('reads all of Jinja: filters, conditionals, arithmetic, statements', () => {
    expect(renderString('v: {{ x | regex_replace("l+", "L") }}', v)).toBe('v: HeLo');
    expect(renderString("{{ x if nope is defined else 'z' }}", v)).toBe('z');
    expect(renderString('{{ n | int + 1 }}', v)).toBe(8);
    expect(renderString('{% for u in users %}{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}', v)).toBe('ann,bob');
    expect(renderString('{% set k = m.k %}{{ k ~ x }}', v)).toBe('vHello');
    expect(renderString('echo ${#arr[@]} {{ x }}', v)).toBe('echo ${#arr[@]} Hello');
    // As ansible-core 2.14 renders them (checked side by side with ansible-playbook).
    expect(renderString('{{ 2.5 | round }} {{ 3.5 | round }} {{ (0 - 2.5) | round }} {{ 2.567 | round(2) }}', v)).toBe('2 4 -2 2.57');
    expect(renderString('{{ xs | to_yaml }}', { xs: ['c', 'yes', '1'] })).toBe("[c, 'yes', '1']\n");
    expect(renderString('{{ m | to_yaml }}', { m: { b: [1, 2], a: { k: 'v' } } })).toBe('a: {k: v}\nb: [1, 2]\n');
    const e = err(() => renderString("{{ x if y else 'z' }}", v, { pos }));
    expect(e.message).toBe("pb.yml:10:20: undefined variable 'y' (did you mean 'x'?)");
    const e3 = err(() => renderString('{{ x + }}', v, { pos }));
    expect(e3.message).toBe('pb.yml:10:18: unexpected end of expression in "x +"');
  });
});

describe('decided at run time', () => {
  const reg = runtimeUnknown('task "Get version" (not run in check mode)', { skipped: true, changed: false, failed: false });

  it('allows known fields', () => {
    expect(renderString('{{ reg.skipped }}', { reg })).toBe(true);
    expect(renderString('{{#if (defined reg)}}d{{/if}}', { reg })).toBe('d');
  });

  it('throws DecidedAtRunTime on unknown fields, rendering or comparing', () => {
    const where = { pos, task: 'Use it' };
    for (const t of ['{{ reg.stdout }}', 'v={{ reg }}', '{{ reg }}', '{{#if reg}}x{{/if}}', '{{ json reg }}', '{{ default reg.rc 1 }}', "{{ reg.stdout | default('x') }}"]) {
      let caught: unknown;
      try {
        renderString(t, { reg }, where);
      } catch (e) {
        caught = e;
      }
      expect(caught, t).toBeInstanceOf(DecidedAtRunTime);
      expect((caught as DecidedAtRunTime).source).toContain('Get version');
    }
    let caught: DecidedAtRunTime | undefined;
    try {
      renderString('x {{ reg.stdout }}', { reg }, where);
    } catch (e) {
      caught = e as DecidedAtRunTime;
    }
    expect(caught?.variable).toBe('reg.stdout');
    expect(caught?.task).toBe('Use it');
    expect(caught?.pos).toEqual({ ...pos, col: 17 });
  });

  it('spreading one copies nothing, JSON shows the known fields', () => {
    expect({ ...reg }).toEqual({});
    expect(JSON.parse(JSON.stringify(reg))).toEqual({ skipped: true, changed: false, failed: false, decided_at_run_time: true });
  });
});

describe('renderDeep', () => {
  it('renders strings inside maps and lists, not keys', () => {
    const out = renderDeep(
      { '{{ k }}': 'x', dest: '/srv/{{ app }}', ports: ['{{ port }}', 80], env: { A: '{{ xs }}' }, n: 1 },
      { k: 'no', app: 'web', port: 8080, xs: [1] },
    );
    expect(out).toEqual({ '{{ k }}': 'x', dest: '/srv/web', ports: [8080, 80], env: { A: [1] }, n: 1 });
  });

  it('uses the position of the templated value when given', () => {
    const e = err(() =>
      renderDeep({ env: { A: 'x{{ nope }}' } }, {}, { pos, task: 'T', valuePos: { 'env/A': { file: 'pb.yml', line: 14, col: 12 } } }),
    );
    expect(e.pos).toEqual({ file: "pb.yml", line: 14, col: 16 });
  });

  it('renderText turns values into text', () => {
    expect(renderText('{{ xs }}', { xs: [1, 2] })).toBe('[1,2]');
  });
});
