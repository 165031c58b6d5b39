/**
 * The masking registry: every decrypted vault value (and every value of a no_log task) is
 * registered here, and every output passes through `maskSecrets`, which replaces each
 * occurrence with `********`.
 */
export const MASK = '********';

const secrets = new Set<string>();
let pattern: RegExp | undefined;

/** Register a secret; values shorter than 3 characters would mask ordinary text, so they are skipped. */
export function registerSecret(value: unknown): void {
  if (typeof value === 'string') {
    const lines = [value, value.trim(), ...value.split(/\r?\n/).map((l) => l.trim())];
    const forms = lines.flatMap((l) => [l, JSON.stringify(l).slice(1, -1), JSON.stringify(JSON.stringify(l)).slice(1, -1)]);
    for (const s of forms) {
      if (s.length >= 3 && !secrets.has(s)) {
        secrets.add(s);
        pattern = undefined;
      }
    }
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    registerSecret(String(value));
  } else if (Array.isArray(value)) {
    for (const v of value) registerSecret(v);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) registerSecret(v);
  }
}

/**
 * Inventory variables that say where and how to connect, not credentials: left readable when
 * they come from a vaulted file, since masking `root`, `22` or a host's address would blank
 * them out of every line of output. Passwords and keys (ansible_password, …) are masked.
 */
const CONNECTION_VARS = new Set([
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_connection',
  'ansible_become',
  'ansible_become_user',
  'ansible_become_method',
  'ansible_ssh_host',
  'ansible_ssh_port',
  'ansible_ssh_user',
  'ansible_python_interpreter',
]);

/** Register every value of a vaulted inventory variables map (host, group or vars file), but the connection settings. */
export function registerSecretVars(vars: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(vars)) if (!CONNECTION_VARS.has(k)) registerSecret(v);
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/** Forget every secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `text` with every registered secret replaced by `********` (longest first). */
export function maskSecrets(text: string): string {
  if (secrets.size === 0 || !text) return text;
  pattern ??= new RegExp([...secrets].sort((a, b) => b.length - a.length).map(escape).join('|'), 'g');
  return text.replace(pattern, MASK);
}

/** A JSON-like value with every string masked. */
export function maskValue<T>(value: T): T {
  if (secrets.size === 0) return value;
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskValue(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v);
    return out as T;
  }
  return value;
}
