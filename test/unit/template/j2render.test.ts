import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../src/core/errors.js';
import { checkJ2, j2Names, j2NameSites, renderJ2 } from '../../../src/template/j2render.js';

/**
 * Jinja2 itself, with Ansible's template module settings (trim_blocks, the trailing newline
 * kept, undefined is an error, None prints as nothing), when python3-jinja2 is installed.
 */
function jinja2(src: string, vars: unknown): string | undefined {
  // As Ansible's template module does: a first line '#jinja2: key: value, …' sets options.
  const py = `import ast,jinja2,json,sys
d=json.load(sys.stdin)
t=d['t']
o=dict(trim_blocks=True,keep_trailing_newline=True,undefined=jinja2.StrictUndefined,finalize=lambda x: '' if x is None else x)
if t.startswith('#jinja2:'):
  eol=t.find('\\n')
  for pair in t[8:eol].split(','):
    k,v=pair.split(':',1)
    o[k.strip()]=ast.literal_eval(v.strip())
  t=t[eol+1:]
sys.stdout.write(jinja2.Environment(**o).from_string(t).render(**d['v']))`;
  if (!HAVE_JINJA2) return undefined;
  // With Jinja2 installed, its failure on a case fails the test.
  return execFileSync('python3', ['-c', py], { input: JSON.stringify({ t: src, v: vars }), encoding: 'utf8' });
}

/** python3-jinja2 is installed (test/fleet/prereqs.mjs installs it). */
const HAVE_JINJA2 = (() => {
  try {
    execFileSync('python3', ['-c', 'import jinja2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const CASES: { name: string; src: string; vars: Record<string, unknown>; want: string }[] = [
  {
    name: 'nginx upstream with loop, loop.last, set, for-else and elif',
    src: `upstream app {
{% for h in hosts %}
    server {{ h }}:{{ port }};{% if loop.last %} # last{% endif %}

{% endfor %}
}
{% set n = hosts | length %}
count={{ n }} {{ flag }} {{ hosts }}
{% for x in [] %}x{% else %}empty
{% endfor %}
{% if n > 5 %}big{% elif n > 1 %}some{% else %}none{% endif %}
`,
    vars: { hosts: ['a', 'b'], port: 80, flag: true },
    want: "upstream app {\n    server a:80;\n    server b:80; # last\n}\ncount=2 True ['a', 'b']\nempty\nsome",
  },
  {
    name: 'loop counters, - markers, comments and raw',
    src: `{# header #}
{% for x in items -%}
{{ loop.index }}/{{ loop.length }}={{ x | upper }}{% if not loop.last %},{% endif %}
{%- endfor %}

{% raw %}{{ not expanded }}{% endraw %}
  {{- ' tail' }}
`,
    vars: { items: ['a', 'b', 'c'] },
    want: '1/3=A,2/3=B,3/3=C\n{{ not expanded }} tail\n',
  },
  {
    name: 'a #jinja2: header turns lstrip_blocks on and trim_blocks off',
    src: '#jinja2: lstrip_blocks: True, trim_blocks: False\n<ul>\n  {% for u in users %}\n  <li>{{ u }}</li>\n  {% endfor %}\n</ul>\n',
    vars: { users: ['ann', 'bob'] },
    want: '<ul>\n\n  <li>ann</li>\n\n  <li>bob</li>\n\n</ul>\n',
  },
  {
    name: 'lstrip_blocks with + markers, and comments stripped only at line start',
    src: '#jinja2:lstrip_blocks:True\na\n  {% if 1 %}\n  x {{ 1 }}\n  {%+ if 1 %}y{% endif +%}\nz\t{# c #}\n{% endif %}',
    vars: {},
    want: 'a\n  x 1\n  y\nz\t',
  },
  {
    name: 'without lstrip_blocks the indentation before tags stays; + keeps the newline',
    src: 'a\n  {% if 1 %}\n  x {{ 1 }}\n  {%+ if 1 %}y{% endif +%}\nz\t{# c #}\n{% endif %}',
    vars: {},
    want: 'a\n    x 1\n  y\nz\t',
  },
  {
    name: "inline if, ~ and arithmetic",
    src: "{{ 'on' if enabled else 'off' }} {{ 'x' if not enabled }}|{{ name ~ '-' ~ port }} {{ port + 1 }} {{ port - 1 }} {{ 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 'ab' * 2 }} {{ [1] + [2] }} {{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }}\n",
    vars: {"enabled": true, "name": "web", "port": 8080},
    want: "on |web-8080 8081 8079 6 3 -4 1 2 1024 3.5 abab [1, 2] 3 9\n",
  },
  {
    name: "comparisons, in, not in and tests",
    src: "{{ 1 < 2 < 3 }} {{ 'a' in 'abc' }} {{ 2 not in [1, 3] }} {{ 'k' in m }} {{ x is defined }} {{ nope is undefined }} {{ none is none }} {{ 3 is number }} {{ 's' is string }} {{ m is mapping }} {{ [1] is iterable }} {{ 5 is divisibleby 5 }} {{ 4 is even }} {{ 3 is odd }} {{ x is sameas none }} {{ m is not string }} {{ 2 is in [1, 2] }}\n",
    vars: {"m": {"k": 1}, "x": null},
    want: "True True True True True True True True True True True True True True True True True\n",
  },
  {
    name: "string filters",
    src: "{{ s | lower }}|{{ s | upper }}|{{ s | capitalize }}|{{ s | title }}|{{ '  pad  ' | trim }}|{{ s | replace('o', '0') }}|{{ s | length }}|{{ s | count }}|{{ s | first }}|{{ s | last }}|{{ s | list | join(',') }}|{{ s | reverse }}|{{ s | wordcount }}\n",
    vars: {"s": "heLLo wORld-of (jinja) o'neil"},
    want: "hello world-of (jinja) o'neil|HELLO WORLD-OF (JINJA) O'NEIL|Hello world-of (jinja) o'neil|Hello World-Of (Jinja) O'neil|pad|heLL0 wORld-0f (jinja) 0'neil|29|29|h|l|h,e,L,L,o, ,w,O,R,l,d,-,o,f, ,(,j,i,n,j,a,), ,o,',n,e,i,l|lien'o )ajnij( fo-dlROw oLLeh|6\n",
  },
  {
    name: "numbers and defaults",
    src: "{{ '42' | int + 1 }} {{ 'x' | int }} {{ '3.5' | float }} {{ 3 | string ~ 'x' }} {{ nope | default('d') }} {{ nope | d(7) }} {{ '' | default('empty', true) }} {{ '' | default('kept') }}| {{ 0 | default(5, true) }} {{ -3 | abs }} {{ 2.567 | round(1) }}\n",
    vars: {},
    want: "43 0 3.5 3x d 7 empty | 5 3 2.6\n",
  },
  {
    name: "list filters",
    src: "{{ l | sort | join(' ') }}|{{ l | sort(reverse=true) | join(' ') }}|{{ l | unique | list }}|{{ l | reverse | list }}|{{ l | min }} {{ l | max }} {{ l | sum }} {{ l | first }} {{ l | last }} {{ l | length }}|{{ words | sort | join(',') }}|{{ words | map('upper') | join(',') }}|{{ l | select('odd') | list }} {{ l | reject('odd') | list }} {{ l | select('gt', 2) | list }}\n",
    vars: {"l": [3, 1, 2, 3, 5], "words": ["b", "A", "c"]},
    want: "1 2 3 3 5|5 3 3 2 1|[3, 1, 2, 5]|[5, 3, 2, 1, 3]|1 5 14 3 5 5|A,b,c|B,A,C|[3, 1, 3, 5] [2] [3, 3, 5]\n",
  },
  {
    name: "lists of maps: map, selectattr, rejectattr, sort, sum",
    src: "{{ users | map(attribute='name') | join(', ') }}|{{ users | selectattr('admin') | map(attribute='name') | list }}|{{ users | rejectattr('admin') | map(attribute='name') | list }}|{{ users | selectattr('uid', 'gt', 1000) | map(attribute='name') | join }}|{{ users | sort(attribute='uid') | map(attribute='name') | join(' ') }}|{{ users | sum(attribute='uid') }}|{{ users | map(attribute='shell', default='/bin/sh') | list }}|{{ users | selectattr('shell', 'defined') | list | length }}\n",
    vars: {"users": [{"name": "ann", "uid": 1001, "admin": true, "shell": "/bin/zsh"}, {"name": "bob", "uid": 999, "admin": false}, {"name": "cy", "uid": 1500, "admin": false}]},
    want: "ann, bob, cy|['ann']|['bob', 'cy']|anncy|bob ann cy|3500|['/bin/zsh', '/bin/sh', '/bin/sh']|1\n",
  },
  {
    name: "dict iteration, items(), keys(), get() and methods",
    src: "{% for k, v in conf.items() %}\n{{ k }}={{ v }}\n{% endfor %}\n{% for k in conf %}{{ k }};{% endfor %}\n{{ conf.keys() | list }} {{ conf.values() | list }} {{ conf.get('a') }} {{ conf.get('zz', 'dflt') }} {{ conf['b'] }}\n{{ ' x '.strip() }}|{{ 'a,b'.split(',') }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.upper() }}|{{ '-'.join(['a', 'b']) }}|{{ 'a.b.c'.replace('.', '/') }}\n{% for k, v in conf | dictsort %}{{ k }}:{{ v }} {% endfor %}\n",
    vars: {"conf": {"b": 2, "a": 1}},
    want: "b=2\na=1\nb;a;['b', 'a'] [2, 1] 1 dflt 2\nx|['a', 'b']|True|ABC|a-b|a/b/c\na:1 b:2 ",
  },
  {
    name: "loop variables, range, nested loops, previtem, tuples",
    src: "{% for i in range(3) %}{{ loop.index0 }}:{{ i }}{{ ',' if not loop.last }}{% endfor %}\n{% for x in 'abc' %}{{ loop.revindex }}{{ x }}{% if loop.previtem is defined %}<{{ loop.previtem }}{% endif %} {% endfor %}\n{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }} {% endfor %}\n{% for row in [[1, 2], [3]] %}{% for c in row %}{{ c }}{% endfor %}/{% endfor %}\n{{ range(2, 10, 3) | list }}\n",
    vars: {},
    want: "0:0,1:1,2:23a 2b<a 1c<b 3 7 12/3/[2, 5, 8]\n",
  },
  {
    name: "macros with defaults, keyword arguments and caller",
    src: "{% macro field(name, value='', type='text') -%}\n<input type=\"{{ type }}\" name=\"{{ name }}\" value=\"{{ value }}\">\n{%- endmacro %}\n{{ field('user') }}\n{{ field('pw', type='password') }}\n{% macro box(title) %}[{{ title }}: {{ caller() }}]{% endmacro %}\n{% call box('note') %}inside {{ who }}{% endcall %}\n\n",
    vars: {"who": "me"},
    want: "<input type=\"text\" name=\"user\" value=\"\">\n<input type=\"password\" name=\"pw\" value=\"\">\n[note: inside me]\n",
  },
  {
    name: "filter blocks, set blocks, scoping",
    src: "{% filter upper %}shout {{ who }}{% endfilter %}\n{% set block %}\n  a {{ who }}\n{% endset %}\n[{{ block }}]\n{% set n = 1 %}{% for x in [1, 2] %}{% set n = n + x %}{{ n }}{% endfor %} {{ n }}\n{% filter indent(2, true) %}\nx\ny\n{% endfilter %}\n",
    vars: {"who": "me"},
    want: "SHOUT ME[  a me\n]\n23 1\n  x\n  y\n",
  },
  {
    name: "whitespace control everywhere",
    src: "<{%- if true -%}  a  {%- endif -%}>\n  {{- '[x]' -}}  \n<{# gone -#}   b>\n{%- for i in [1, 2] %}\n  - {{ i }}\n{%- endfor %}\n\nend\n",
    vars: {},
    want: "<a>[x]<b>  - 1  - 2\nend\n",
  },
  {
    name: "printing values as Python does",
    src: "{{ l }} {{ m }} {{ t }} {{ f }} {{ n }} {{ s }} {{ 1.5 }} {{ [\"it's\"] }} {{ {'a': [1, none, true]} }}\n",
    vars: {"l": [1, "two", null], "m": {"k": "v", "n": 1}, "t": true, "f": false, "n": null, "s": "plain"},
    want: "[1, 'two', None] {'k': 'v', 'n': 1} True False  plain 1.5 [\"it's\"] {'a': [1, None, True]}\n",
  },
  {
    name: "indent and nested data",
    src: "key:\n  {{ text | indent(2) }}\n{{ text | indent(width=4, first=true) }}\n{{ data.a.b[1] }} {{ data['a']['b'][-1] }} {{ data.a.b | length }}\n",
    vars: {"text": "one\ntwo\n\nthree", "data": {"a": {"b": [10, 20, 30]}}},
    want: "key:\n  one\n  two\n\n  three\n    one\n    two\n\n    three\n20 30 3\n",
  },
];

/** Ansible's own filters and tests (not in Jinja2 itself): compared with the stored expectation only. */
const ANSIBLE_CASES: { name: string; src: string; vars: Record<string, unknown>; want: string }[] = [
  {
    name: 'bool and ternary',
    src: "{{ 'yes' | bool }} {{ 'off' | bool }} {{ 1 | bool }} {{ true | ternary('on', 'off') }} {{ none | ternary('a', 'b', 'n') }} {{ 0 | ternary('a', 'b') }}",
    vars: {},
    want: 'True False True on n b',
  },
  {
    name: 'combine, recursive and over a list',
    src: "{{ {'a': 1, 'n': {'x': 1}} | combine({'b': 2, 'n': {'y': 2}}) }} {{ {'n': {'x': 1}} | combine({'n': {'y': 2}}, recursive=true) }} {{ [{'a': 1}, {'b': 2}] | combine }}",
    vars: {},
    want: "{'a': 1, 'n': {'y': 2}, 'b': 2} {'n': {'x': 1, 'y': 2}} {'a': 1, 'b': 2}",
  },
  {
    name: 'regex_replace with groups, regex_search with and without groups, regex_findall',
    src: "{{ 'host-123.x' | regex_replace('\\d+', 'N') }} {{ 'ann@example' | regex_replace('(\\w+)@(\\w+)', '\\2 at \\1') }} {{ 'v1.22.3' | regex_search('\\d+\\.\\d+') }} [{{ 'abc' | regex_search('z') }}] {{ 'k=v' | regex_search('(\\w)=(\\w)', '\\2', '\\1') }} {{ 'a1b22' | regex_findall('\\d+') }}",
    vars: {},
    want: "host-N.x example at ann 1.22 [] ['v', 'k'] ['1', '22']",
  },
  {
    name: 'dict2items and items2dict',
    src: "{{ d | dict2items }} {{ d | dict2items | items2dict }} {{ [{'name': 'k', 'v': 1}] | items2dict(key_name='name', value_name='v') }}",
    vars: { d: { a: 1, b: 'x' } },
    want: "[{'key': 'a', 'value': 1}, {'key': 'b', 'value': 'x'}] {'a': 1, 'b': 'x'} {'k': 1}",
  },
  {
    name: 'to_json (Python separators, ASCII) and to_nice_json (sorted, indented by 4)',
    src: "{{ {'b': [1, 'é'], 'a': none} | to_json }}\n{{ {'b': [1, 2], 'a': {'c': true}} | to_nice_json }}\n",
    vars: {},
    want: '{"b": [1, "\\u00e9"], "a": null}\n{\n    "a": {\n        "c": true\n    },\n    "b": [\n        1,\n        2\n    ]\n}\n',
  },
  {
    name: 'comment styles and ansible_managed',
    src: "{{ ansible_managed | comment }}\n{{ 'a\\nb' | comment('c') }}\n{{ 'x' | comment('cblock') }}\n{{ 'x' | comment('xml') }}",
    vars: {},
    want: '#\n# Ansible managed\n#\n//\n// a\n// b\n//\n/*\n *\n * x\n *\n */\n<!--\n -\n - x\n -\n-->',
  },
  {
    name: 'quote, base64, basename, dirname',
    src: "{{ \"it's here\" | quote }} {{ 'plain' | quote }} {{ '' | quote }} {{ 'hi' | b64encode }} {{ 'aGk=' | b64decode }} {{ '/etc/nginx/conf.d/x.conf' | basename }} {{ '/etc/nginx/conf.d/x.conf' | dirname }}",
    vars: {},
    want: "'it'\"'\"'s here' plain '' aGk= hi x.conf /etc/nginx/conf.d",
  },
  {
    name: 'version comparison and registered results',
    src: "{{ '1.10.2' is version('1.9', '>') }} {{ '2.0' is version('2.0.0', '==') }} {{ '1.2.3' is version('1.2.4', 'lt') }} {{ ansible_distribution_version is version('22.04', '>=') }} {{ r is succeeded }} {{ r is failed }} {{ r is changed }} {{ r is skipped }} {{ s is skipped }}",
    vars: { ansible_distribution_version: '24.04', r: { failed: false, changed: true, rc: 0 }, s: { skipped: true, changed: false } },
    want: 'True False True True True False True False True',
  },
  {
    name: 'mandatory, flatten, zip',
    src: "{{ port | mandatory }} {{ [[1, [2]], [3]] | flatten }} {{ [[1, [2]], [3]] | flatten(levels=1) }} {{ [1, 2] | zip(['a', 'b']) | list }}",
    vars: { port: 80 },
    want: "80 [1, 2, 3] [1, [2], 3] [[1, 'a'], [2, 'b']]",
  },
];

describe('.j2 rendering', () => {
  for (const c of CASES) {
    it(`renders like Jinja2: ${c.name}`, () => {
      expect(renderJ2(c.src, c.vars, { file: 't.j2' })).toBe(c.want);
      const oracle = jinja2(c.src, c.vars);
      if (oracle !== undefined) expect(c.want).toBe(oracle);
    });
  }
  for (const c of ANSIBLE_CASES) {
    it(`renders as Ansible does: ${c.name}`, () => {
      expect(renderJ2(c.src, c.vars, { file: 't.j2' })).toBe(c.want);
    });
  }
  it('mandatory and undefined fields name the variable, the position and the likely name', () => {
    expect(() => renderJ2('a\n{{ prot | mandatory }}', { port: 1 }, { file: 't.j2' })).toThrow(/^t\.j2:2:4: mandatory variable 'prot' is not defined/);
    expect(() => renderJ2("a\n{{ prot | mandatory('give a port') }}", {}, { file: 't.j2' })).toThrow(/^t\.j2:2:4: give a port/);
    expect(() => renderJ2('a\n  {{ srv.prot }}', { srv: { port: 1 } }, { file: 't.j2' })).toThrow(/^t\.j2:2:6: undefined variable 'srv\.prot' .*\(did you mean 'port'\?\)/);
    expect(() => renderJ2('{% for u in users %}\n{{ u.nme }}\n{% endfor %}', { users: [{ name: 1 }] }, { file: 't.j2' })).toThrow(/^t\.j2:2:4: undefined variable 'u\.nme' .*did you mean 'name'/);
    expect(() => renderJ2('{{ hostnme }}', { hostname: 'x' }, { file: 't.j2' })).toThrow(/t\.j2:1:4: undefined variable 'hostnme' in template \(did you mean 'hostname'\?\)/);
  });
  it('undefined variables are errors naming file:line:col', () => {
    expect(() => renderJ2('a\n  {{ nope }}', {}, { file: 'x.j2' })).toThrow(/x\.j2:2:6: .*nope/);
  });
  it('syntax errors are found without rendering, with positions', () => {
    expect(() => checkJ2('a\n {% if x %}', { file: 'x.j2' })).toThrow(TemplateError);
    expect(() => checkJ2('a\n {% if x %}', { file: 'x.j2' })).toThrow(/x\.j2:2:5: missing \{% endif %\}/);
    expect(() => checkJ2('{% for u in us %}\n{% if u %}\n{{ u }}\n{% endif %}\ntext\n', { file: 'x.j2' })).toThrow(/^x\.j2:1:4: missing \{% endfor %\} for this block/);
    expect(() => checkJ2('{% bogus %}', { file: 'x.j2' })).toThrow(/unknown or unexpected tag 'bogus'/);
  });
  it('expression syntax errors are found by the check, at the bad token', () => {
    expect(() => checkJ2('ok\n{% if a == %}x{% endif %}', { file: 'x.j2' })).toThrow(/x\.j2:2:11: /);
    expect(() => checkJ2('#jinja2: trim_blocks: maybe\n', { file: 'x.j2' })).toThrow(/x\.j2:1:\d+: #jinja2: trim_blocks must be True or False/);
    expect(() => checkJ2('#jinja2: block_start_string: "[%"\n', { file: 'x.j2' })).toThrow(/unsupported setting 'block_start_string'/);
  });
  it('names read from outside, not those bound by set and for', () => {
    expect(j2Names('{% set a = b %}{{ a }}{% for x in xs %}{{ x }}{{ loop.index }}{{ y | default(1) }}{{ z }}{% endfor %}{{ x }}')).toEqual(['b', 'xs', 'z', 'x']);
    expect(j2Names('{% if %}')).toEqual([]);
    expect(j2NameSites('a\n{% set y = 1 %}b {{ hostnme ~ y }}', 't.j2')).toEqual([{ name: 'hostnme', pos: { file: 't.j2', line: 2, col: 21 } }]);
  });
  it('computes lazily computed variables only when read, and may rebind them', () => {
    let reads = 0;
    const vars: Record<string, unknown> = { plain: 1 };
    Object.defineProperty(vars, 'lazy', { enumerable: true, configurable: true, get: () => { reads++; return 'L'; } });
    Object.defineProperty(vars, 'broken', { enumerable: true, configurable: true, get: () => { throw new Error('never read'); } });
    expect(renderJ2('{% for i in [1, 2] %}{{ plain }}{% endfor %}{% macro m() %}{{ plain }}{% endmacro %}{{ m() }}', vars)).toBe('111');
    expect(reads).toBe(0);
    expect(renderJ2('{{ lazy }}{% set broken = 2 %}{{ broken }}', vars)).toBe('L2');
    expect(reads).toBe(1);
  });
  it('unpacks pairs in for', () => {
    expect(renderJ2('{% for k, v in pairs %}{{ k }}={{ v }};{% endfor %}', { pairs: [['a', 1], ['b', 2]] })).toBe('a=1;b=2;');
  });
});

describe('.j2 safety', () => {
  const r = (src: string, vars: Record<string, unknown> = { m: { a: 1 }, s: 'x', l: [1] }) => renderJ2(src, vars, { file: 's.j2' });
  it('attribute access never reaches constructor, __proto__ or prototype', () => {
    for (const e of ['m.constructor', 's.constructor', 'l.constructor', 'm.__proto__', "m['__proto__']", "s['constructor']", 'loop', 'range.constructor', 'm.items.constructor', 'f.prototype', 'f.constructor']) {
      expect(() => r(`{% macro f() %}{% endmacro %}{{ ${e} }}`), e).toThrow(/undefined variable/);
    }
    expect(r("{{ m.constructor is defined }} {{ s.__proto__ is defined }} {{ m.items().constructor is defined }}")).toBe('False False False');
  });
  it('only the listed methods and functions can be called; nothing reaches code', () => {
    expect(() => r("{{ s.constructor('x') }}")).toThrow(/calling methods is not supported/);
    expect(() => r("{{ m.toString() }}")).toThrow(/calling methods is not supported/);
    expect(() => r("{{ s.constructor.constructor('return process')() }}")).toThrow(TemplateError);
    expect(() => r("{{ open('/etc/passwd') }}")).toThrow(/calling functions or methods is not supported/);
    expect(() => r("{{ lookup('env', 'HOME') }}")).toThrow(/lookups run in the templates and conditions of tasks only/);
    expect(() => r('{{ m.items() }}', { m: [] as unknown as Record<string, unknown> })).toThrow(/a list has no method items\(\)/);
    expect(() => r('{{ range(10 ** 9) | length }}')).toThrow(/range of more than/);
  });
  it('the template code has no eval and no Function constructor', () => {
    const dir = path.resolve(__dirname, '../../../src/template');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      // Code lines only (comments may name what is never done).
      const text = readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => !/^\s*(\*|\/\/|\/\*\*)/.test(l)).join('\n');
      expect(text, f).not.toMatch(/\bnew Function\b|\beval\(/);
    }
  });
});
