import { RunbookError, type SourcePos } from '../core/errors.js';

/**
 * A value that check mode cannot know: the registered result of a task that did not run.
 * Some fields may be known (`skipped`, `changed`, `failed`); reading any other field,
 * comparing it, testing its truth or rendering it throws {@link DecidedAtRunTime}.
 *
 * State lives in private fields, so spreading one (`{ ...x }`) copies nothing and no
 * template can reach the source text through ordinary field access.
 */
export class RuntimeUnknown {
  readonly #source: string;
  readonly #known: Readonly<Record<string, unknown>>;

  constructor(source: string, known: Record<string, unknown> = {}) {
    this.#source = source;
    this.#known = Object.freeze({ ...known });
    Object.freeze(this);
  }

  /** What produced this value, e.g. `task "Get version" (not run in check mode)`. */
  get source(): string {
    return this.#source;
  }

  /** The fields that are known in advance. */
  get known(): Readonly<Record<string, unknown>> {
    return this.#known;
  }

  knows(field: string): boolean {
    return Object.hasOwn(this.#known, field);
  }

  /** For reports and journals: the known fields plus a marker. */
  toJSON(): Record<string, unknown> {
    return { ...this.#known, decided_at_run_time: true };
  }

  toString(): string {
    return '(decided at run time)';
  }
}

/** A value decided at run time, with optionally some fields known now. */
export function runtimeUnknown(source: string, knownFields: Record<string, unknown> = {}): RuntimeUnknown {
  return new RuntimeUnknown(source, knownFields);
}

export function isRuntimeUnknown(v: unknown): v is RuntimeUnknown {
  return v instanceof RuntimeUnknown;
}

/**
 * Thrown when a template or expression needs a value that check mode cannot know. The
 * executor reports the host's task as "decided at run time" instead of failing.
 */
export class DecidedAtRunTime extends RunbookError {
  override readonly code = 'DECIDED_AT_RUN_TIME';
  constructor(
    /** The variable path that was read, e.g. `result.stdout`. */
    readonly variable: string,
    /** What produced the unknown value (see {@link RuntimeUnknown.source}). */
    readonly source: string,
    readonly pos?: SourcePos,
    /** The task (or other context) that read it. */
    readonly task?: string,
  ) {
    super(`'${variable}' is decided at run time (it comes from ${source})`);
  }
}

/** Found or not: own properties of plain data only, never the prototype chain. */
export type FieldLookup = { found: true; value: unknown } | { found: false };

const NOT_FOUND: FieldLookup = { found: false };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Read one field of plain data: an own property of a plain object, an index of an array or
 * string. Anything else (prototype members, class instances, functions) is "not found".
 * `negative` allows Python-style negative indices (`a[-1]`).
 */
export function getField(base: unknown, key: string | number, negative = false): FieldLookup {
  if (Array.isArray(base) || typeof base === 'string') {
    const i = toIndex(key, base.length, negative);
    if (i === undefined) return NOT_FOUND;
    const value = base[i];
    return value === undefined ? NOT_FOUND : { found: true, value };
  }
  if (isPlainObject(base)) {
    const k = String(key);
    if (!Object.hasOwn(base, k)) return NOT_FOUND;
    const value = base[k];
    return value === undefined ? NOT_FOUND : { found: true, value };
  }
  return NOT_FOUND;
}

function toIndex(key: string | number, length: number, negative: boolean): number | undefined {
  let n: number;
  if (typeof key === 'number') n = key;
  else if (/^-?\d+$/.test(key)) n = Number(key);
  else return undefined;
  if (!Number.isInteger(n)) return undefined;
  if (n < 0) {
    if (!negative) return undefined;
    n += length;
  }
  return n >= 0 && n < length ? n : undefined;
}

/** Keys a "did you mean" can draw from. */
export function fieldNames(base: unknown): string[] {
  return isPlainObject(base) ? Object.keys(base) : [];
}

/** Describe a value's kind for messages: "a string", "a list", "null"… */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isRuntimeUnknown(v)) return 'a value decided at run time';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'an integer' : 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return v instanceof Date ? 'a date' : 'a map';
    default:
      return `a ${typeof v}`;
  }
}
