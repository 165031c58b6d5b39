import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../src/core/errors.js';
import { checkJ2, renderJ2 } from '../../../src/template/j2render.js';

/** Jinja2 itself, with Ansible's template module settings, when python3-jinja2 is installed. */
function jinja2(src: string, vars: unknown): string | undefined {
  const py = `import jinja2,json,sys
d=json.load(sys.stdin)
e=jinja2.Environment(trim_blocks=True,keep_trailing_newline=True,undefined=jinja2.StrictUndefined)
sys.stdout.write(e.from_string(d['t']).render(**d['v']))`;
  try {
    return execFileSync('python3', ['-c', py], { input: JSON.stringify({ t: src, v: vars }), encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

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
  it('unpacks pairs in for', () => {
    expect(renderJ2('{% for k, v in pairs %}{{ k }}={{ v }};{% endfor %}', { pairs: [['a', 1], ['b', 2]] })).toBe('a=1;b=2;');
  });
});
