import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../src/core/errors.js';
import { checkJ2, j2Names, renderJ2 } from '../../../src/template/j2render.js';

/** Jinja2 itself, with Ansible's template module settings, when python3-jinja2 is installed. */
function jinja2(src: string, vars: unknown): string | undefined {
  // As Ansible's template module does: a first line '#jinja2: key: value, …' sets options.
  const py = `import ast,jinja2,json,sys
d=json.load(sys.stdin)
t=d['t']
o=dict(trim_blocks=True,keep_trailing_newline=True,undefined=jinja2.StrictUndefined)
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
];

describe('.j2 rendering', () => {
  for (const c of CASES) {
    it(`renders like Jinja2: ${c.name}`, () => {
      expect(renderJ2(c.src, c.vars, { file: 't.j2' })).toBe(c.want);
      const oracle = jinja2(c.src, c.vars);
      if (oracle !== undefined) expect(c.want).toBe(oracle);
    });
  }
  it('undefined variables are errors naming file:line:col', () => {
    expect(() => renderJ2('a\n  {{ nope }}', {}, { file: 'x.j2' })).toThrow(/x\.j2:2:6: .*nope/);
  });
  it('syntax errors are found without rendering, with positions', () => {
    expect(() => checkJ2('a\n {% if x %}', { file: 'x.j2' })).toThrow(TemplateError);
    expect(() => checkJ2('a\n {% if x %}', { file: 'x.j2' })).toThrow(/x\.j2:2:5: missing \{% endif %\}/);
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
  });
  it('unpacks pairs in for', () => {
    expect(renderJ2('{% for k, v in pairs %}{{ k }}={{ v }};{% endfor %}', { pairs: [['a', 1], ['b', 2]] })).toBe('a=1;b=2;');
  });
});
