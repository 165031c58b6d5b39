import type { ScalarTag, Tags } from 'yaml';

/** PyYAML's implicit types (YAML 1.1 as PyYAML resolves plain text), for reading and writing. */
export const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
export const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
export const PY_DECIMAL = /^[-+]?(?:0|[1-9][0-9_]*)$/;
export const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;
export const PY_FLOAT_EXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)[eE][-+][0-9]+$/;

const BOOL = 'tag:yaml.org,2002:bool';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';

/**
 * The YAML 1.1 tags adjusted to what PyYAML (so Ansible) resolves: `y`/`n` are strings,
 * `09` is a string, `1e5`, `e0` and `.` are strings (a float needs a dot and a digit, an
 * exponent a sign), and timestamps stay strings. `sexagesimal: false` also keeps `80:80` a
 * string (PyYAML's base-60 number is a trap in playbooks: port lists).
 */
export function pyyamlTags(tags: Tags, opts: { sexagesimal?: boolean } = {}): Tags {
  const out: Tags = [];
  for (const t of tags) {
    if (typeof t === 'string') {
      if (t !== 'timestamp' && !(opts.sexagesimal === false && (t === 'intTime' || t === 'floatTime'))) out.push(t);
      continue;
    }
    if (!('test' in t) || !t.test) {
      out.push(t);
      continue;
    }
    const tag = t as ScalarTag;
    const test = tag.test!;
    if (tag.tag === 'tag:yaml.org,2002:timestamp') continue;
    if (opts.sexagesimal === false && tag.format === 'TIME') continue;
    if (tag.tag === BOOL && test.test('yes')) out.push({ ...tag, test: PY_TRUE });
    else if (tag.tag === BOOL && test.test('no')) out.push({ ...tag, test: PY_FALSE });
    else if (tag.tag === INT && !tag.format) out.push({ ...tag, test: PY_DECIMAL });
    else if (tag.tag === FLOAT && tag.format === 'EXP') out.push({ ...tag, test: PY_FLOAT_EXP });
    else if (tag.tag === FLOAT && !tag.format && test.test('1.5')) out.push({ ...tag, test: PY_FLOAT });
    else out.push(tag);
  }
  return out;
}
