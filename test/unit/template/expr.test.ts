import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../src/core/errors.js';
import { checkExpr, evalCondition, evalExpr, truthy, unwrapTemplate } from '../../../src/template/expr.js';
import { DecidedAtRunTime, runtimeUnknown } from '../../../src/template/runtime.js';

const vars = {
  version: 'v2',
  n: 3,
  zero: 0,
  list: [1, 2, 'a'],
  empty: [],
  map: { a: { b: 'deep' }, 'with space': 1 },
  s: 'Hello World',
  nothing: null,
  yes: 'yes',
  result: { rc: 0, stdout: 'ok\nfine', failed: false, changed: true, skipped: false },
  bad: { rc: 2, failed: true, changed: false },
};
const pos = { file: 'pb.yml', line: 7, col: 13 };

function err(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
}

const ev = (e: string) => evalExpr(e, vars);

describe('literals and access', () => {
  it('evaluates literals', () => {
    expect(ev('1')).toBe(1);
    expect(ev('1.5')).toBe(1.5);
    expect(ev('-2')).toBe(-2);
    expect(ev("'a'")).toBe('a');
    expect(ev('"b\\n"')).toBe('b\n');
    expect(ev('true')).toBe(true);
    expect(ev('False')).toBe(false);
    expect(ev('none')).toBeNull();
    expect(ev('None')).toBeNull();
    expect(ev('null')).toBeNull();
    expect(ev("[1, 'a', [true]]")).toEqual([1, 'a', [true]]);
    expect(ev("{'k': 1}")).toEqual({ k: 1 });
  });

  it('reads variables, fields and indices', () => {
    expect(ev('version')).toBe('v2');
    expect(ev('map.a.b')).toBe('deep');
    expect(ev("map['a']['b']")).toBe('deep');
    expect(ev("map['with space']")).toBe(1);
    expect(ev('list[0]')).toBe(1);
    expect(ev('list[-1]')).toBe('a');
    expect(ev('list.1')).toBe(2);
    expect(ev('s[0]')).toBe('H');
    expect(ev('map[version == "v2" and "a" or "b"].b')).toBe('deep');
  });
});

describe('operators and precedence', () => {
  it('compares', () => {
    expect(ev("version == 'v2'")).toBe(true);
    expect(ev("version != 'v2'")).toBe(false);
    expect(ev('n < 4')).toBe(true);
    expect(ev('n > 4')).toBe(false);
    expect(ev('n <= 3')).toBe(true);
    expect(ev('n >= 4')).toBe(false);
    expect(ev('1 < n < 4')).toBe(true);
    expect(ev('1 < n < 2')).toBe(false);
    expect(ev("'a' < 'b'")).toBe(true);
    expect(ev('list == [1, 2, "a"]')).toBe(true);
    expect(ev('result == result')).toBe(true);
  });

  it('in and not in over lists, strings and maps', () => {
    expect(ev("'a' in list")).toBe(true);
    expect(ev('5 in list')).toBe(false);
    expect(ev("'World' in s")).toBe(true);
    expect(ev("'a' in map")).toBe(true);
    expect(ev("'zz' not in map")).toBe(true);
    expect(ev('2 not in list')).toBe(false);
  });

  it('and / or / not with Python precedence and values', () => {
    expect(ev('true or false and false')).toBe(true);
    expect(ev('(true or false) and false')).toBe(false);
    expect(ev('not true or true')).toBe(true);
    expect(ev('not (true or true)')).toBe(false);
    expect(ev("not version == 'v1'")).toBe(true);
    expect(ev('zero or n')).toBe(3);
    expect(ev('n and zero')).toBe(0);
    expect(ev("n > 1 and 'a' in list and not empty")).toBe(true);
  });

  it('short-circuits: the right side of and/or is not read when decided', () => {
    expect(ev('false and nope')).toBe(false);
    expect(ev('true or nope')).toBe(true);
    expect(ev('nope is defined and nope.x == 1')).toBe(false);
  });
});

describe('tests', () => {
  it('defined / undefined / none', () => {
    expect(ev('version is defined')).toBe(true);
    expect(ev('nope is defined')).toBe(false);
    expect(ev('nope is not defined')).toBe(true);
    expect(ev('nope is undefined')).toBe(true);
    expect(ev('map.a.zz is defined')).toBe(false);
    expect(ev('nope.deeper.still is defined')).toBe(false);
    expect(ev('nothing is none')).toBe(true);
    expect(ev('n is not none')).toBe(true);
    expect(ev('nothing is defined')).toBe(true);
  });

  it('registered result tests', () => {
    expect(ev('result is succeeded')).toBe(true);
    expect(ev('result is success')).toBe(true);
    expect(ev('result is changed')).toBe(true);
    expect(ev('result is failed')).toBe(false);
    expect(ev('bad is failed')).toBe(true);
    expect(ev('bad is not changed')).toBe(true);
    expect(ev('result is skipped')).toBe(false);
    expect(() => ev('n is failed')).toThrow(/'n' is not a task result/);
  });

  it('type tests', () => {
    expect(ev('s is string and n is number and map is mapping and list is sequence')).toBe(true);
  });
});

describe('filters', () => {
  it('applies the supported filters', () => {
    expect(ev('list | length')).toBe(3);
    expect(ev("'42' | int + 0 == 42".replace(' + 0', ''))).toBe(true);
    expect(ev("'12' | int > 9")).toBe(true);
    expect(ev('yes | bool')).toBe(true);
    expect(ev('s | lower')).toBe('hello world');
    expect(ev('s | upper')).toBe('HELLO WORLD');
    expect(ev("'  x ' | trim")).toBe('x');
    expect(ev("nope | default('d')")).toBe('d');
    expect(ev('nope.x | default(5) == 5')).toBe(true);
    expect(ev("version | default('d')")).toBe('v2');
    expect(ev("result.stdout.split is defined")).toBe(false);
    expect(ev("list | join('-')")).toBe('1-2-a');
    expect(ev("'ok' in result.stdout | lower")).toBe(true);
  });

  it('rejects unsupported filters and methods with the column', () => {
    const e = err(() => evalExpr('s | regex_serch("x")', vars, { pos }));
    expect(e.pos).toEqual({ ...pos, col: 17 });
    expect(e.message).toMatch(/unsupported filter 'regex_serch' \(did you mean 'regex_search'\?\)/);
    const e2 = err(() => evalExpr("result.stdout.find('a') != -1", vars, { pos }));
    expect(e2.message).toMatch(/calling methods is not supported/);
    expect(e2.pos).toEqual({ ...pos, col: 31 });
  });
});

describe('Jinja expressions', () => {
  it('inline if, ~, arithmetic with Python semantics', () => {
    expect(ev("'big' if n > 2 else 'small'")).toBe('big');
    expect(ev("'x' if zero")).toBe('');
    expect(ev("s ~ '!' ~ n")).toBe('Hello World!3');
    expect(ev('n * 2 + 1')).toBe(7);
    expect(ev('-7 // 2')).toBe(-4);
    expect(ev('-7 % 3')).toBe(2);
    expect(ev('2 ** 3 ** 2')).toBe(64);
    expect(ev('[1] + [2]')).toEqual([1, 2]);
    expect(() => ev('n / zero')).toThrow(/division by zero/);
    expect(() => ev("n + 'a'")).toThrow(/cannot use '\+' on an integer and a string/);
    expect(() => ev("'%s' % n")).toThrow(/string formatting with % is not supported/);
  });
  it('string escapes as Python reads them: an unknown one keeps its backslash', () => {
    expect(ev("'a\\d'")).toBe('a\\d');
    expect(ev("'a\\\\d'")).toBe('a\\d');
    expect(ev("'it\\'s'")).toBe("it's");
    expect(ev("'v1.2' is match('v\\d')")).toBe(true);
  });
  it('tests with arguments, and filters with keyword arguments', () => {
    expect(ev("'1.10' is version('1.9', '>')")).toBe(true);
    expect(ev('n is divisibleby 3')).toBe(true);
    expect(ev("'a' is in list")).toBe(true);
    expect(ev('nothing is sameas none')).toBe(true);
    expect(ev('list | select("number") | list')).toEqual([1, 2]);
    expect(ev('map.a | combine({"c": 1})')).toEqual({ b: 'deep', c: 1 });
    expect(ev('[3, 1, 2] | sort(reverse=true) | first')).toBe(3);
    expect(() => ev('list | sort')).toThrow(/sort: cannot compare/);
  });
});

describe('errors', () => {
  it('undefined variable names it, the task and the position', () => {
    const e = err(() => evalExpr("version == 'v2' and verison == 1", vars, { pos, task: 'Deploy' }));
    expect(e.message).toBe(`pb.yml:7:33: undefined variable 'verison' in task "Deploy" (did you mean 'version'?)`);
    expect(e.variable).toBe('verison');
    const e2 = err(() => evalExpr('result.nope == 1', vars, { pos }));
    expect(e2.message).toBe(`pb.yml:7:13: undefined variable 'result.nope'`);
  });

  it('syntax errors point at the offending token', () => {
    const cases: [string, number, RegExp][] = [
      ['a ==', 17, /unexpected end of expression/],
      ['a == = b', 18, /unexpected '='/],
      ['(a == b', 20, /expected '\)'/],
      ['a && b', 15, /use 'and'/],
      ['a ? b : c', 15, /use 'x if cond else y'/],
      ['a +', 16, /unexpected end of expression/],
      ["s | sort(revers=true)", 22, /filter 'sort' has no keyword argument 'revers'/],
      ["s | upper(x=1)", 23, /filter 'upper' takes no keyword arguments/],
      ["x = 'y'", 15, /use '==' to compare/],
      ["'abc", 13, /unterminated string/],
      ['a b', 15, /unexpected 'b'/],
      ['x is flying', 18, /unknown test 'flying'/],
      ['', 13, /empty expression/],
    ];
    for (const [text, col, re] of cases) {
      const e = err(() => checkExpr(text, { pos }));
      expect(e.message, text).toMatch(re);
      expect(e.pos, text).toEqual({ ...pos, col });
    }
  });

  it('comparing incompatible types is an error', () => {
    expect(() => ev("n < 'a'")).toThrow(/cannot compare an integer with a string/);
  });

  it('allows a condition wrapped in {{ }} and reports the wrapper', () => {
    expect(unwrapTemplate('{{ n == 3 }}')).toEqual({ expr: ' n == 3 ', offset: 2, wrapped: true });
    expect(ev('{{ n == 3 }}')).toBe(true);
    const e = err(() => evalExpr('{{ n == }}', vars, { pos }));
    expect(e.pos).toEqual({ ...pos, col: 21 });
    expect(() => ev("{{ version }} == 'v2'")).toThrow(/template delimiters are not allowed/);
  });
});

describe('safety: no prototype access, no code', () => {
  it('does not reach prototypes or constructors', () => {
    expect(() => ev('__proto__')).toThrow(/undefined variable '__proto__'/);
    expect(() => ev('constructor')).toThrow(/undefined variable 'constructor'/);
    expect(() => ev('map.constructor')).toThrow(/undefined variable 'map.constructor'/);
    expect(() => ev("map['__proto__']")).toThrow(/undefined variable/);
    expect(() => ev('s.length')).toThrow(/undefined variable 's.length'/);
    expect(() => ev('list.length')).toThrow(/undefined variable 'list.length'/);
    expect(() => ev("map['constructor']['constructor']")).toThrow(TemplateError);
    expect(ev('map.toString is defined')).toBe(false);
    expect(ev('__proto__ is defined')).toBe(false);
  });

  it('rejects calls outright', () => {
    expect(() => ev("constructor.constructor('return 1')()")).toThrow(/calling methods is not supported/);
    expect(() => ev("open('/etc/passwd')")).toThrow(/calling functions or methods is not supported/);
    expect(() => ev("lookup('env', 'HOME')")).toThrow(/lookup: lookups run in the templates and conditions of tasks only/);
    expect(() => ev('process.exit(1)')).toThrow(/calling methods is not supported/);
  });

  it('builds map literals without touching prototypes', () => {
    const m = ev("{'__proto__': 1}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(Object.hasOwn(m, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not read fields of class instances', () => {
    class Secret {
      token = 'x';
    }
    expect(() => evalExpr('o.token', { o: new Secret() })).toThrow(/undefined variable 'o.token'/);
  });
});

describe('decided at run time', () => {
  const reg = runtimeUnknown('task "Get version" (not run in check mode)', { skipped: true, changed: false, failed: false });
  const v = { reg, n: 1 };

  it('known fields and tests on them are fine', () => {
    expect(evalExpr('reg is defined', v)).toBe(true);
    expect(evalExpr('reg.skipped', v)).toBe(true);
    expect(evalExpr('reg is skipped', v)).toBe(true);
    expect(evalExpr('reg is changed', v)).toBe(false);
    expect(evalExpr('reg is failed', v)).toBe(false);
    expect(evalExpr('reg is succeeded', v)).toBe(true);
    expect(evalExpr('reg.skipped is defined', v)).toBe(true);
  });

  it('anything else throws DecidedAtRunTime naming the path', () => {
    for (const e of ["reg.stdout == 'x'", 'reg', 'not reg', 'reg.rc is defined', 'reg.rc | default(0) == 0', 'n in reg', 'reg | length', 'reg.stdout_lines[0]', 'reg == 1']) {
      let caught: unknown;
      try {
        evalExpr(e, v, { pos, task: 'Use' });
      } catch (x) {
        caught = x;
      }
      expect(caught, e).toBeInstanceOf(DecidedAtRunTime);
    }
    try {
      evalExpr("n == 1 and reg.stdout == 'x'", v, { pos, task: 'Use' });
    } catch (x) {
      const d = x as DecidedAtRunTime;
      expect(d.variable).toBe('reg.stdout');
      expect(d.source).toContain('Get version');
      expect(d.task).toBe('Use');
      expect(d.pos).toEqual({ ...pos, col: 24 });
      expect(d.message).toContain("'reg.stdout' is decided at run time");
    }
  });

  it('short-circuit avoids reading the unknown', () => {
    expect(evalExpr('n == 2 and reg.stdout', v)).toBe(false);
  });
});

describe('truthy', () => {
  it('is Python-like', () => {
    expect([0, '', [], {}, null, undefined, false].map(truthy)).toEqual([false, false, false, false, false, false, false]);
    expect([1, 'x', [0], { a: 1 }, true].map(truthy)).toEqual([true, true, true, true, true]);
    expect(evalCondition('empty', vars)).toBe(false);
    expect(evalExpr('n', vars)).toBe(3);
  });
});
