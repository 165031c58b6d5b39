/**
 * `group_vars/` and `host_vars/` next to an inventory, found as Ansible's host_group_vars
 * plugin finds them: for an entity NAME the first of `NAME` (file, or directory whose files
 * are merged in name order, recursively), `NAME.yml`, `NAME.yaml`, `NAME.json`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import { ConfigError } from '../core/errors.js';
import type { InventoryData } from './model.js';
import { LOCALHOST_NAMES } from './patterns.js';
import { inlineDecrypt, isAnyVault, literalValues, openVault } from '../vault/keyring.js';
import { registerSecretVars } from '../vault/secrets.js';
import { decryptVaults, describeNode, hasVault, parseYaml, posOf, toValue } from './yaml-source.js';

export type Decrypt = (ciphertext: string, where: string) => string | Promise<string>;

const VARS_EXTS = ['', '.yml', '.yaml', '.json'];

/** Read a file's text, decrypting it first when it is a whole-file vault. */
export async function readVarsText(file: string, decrypt: Decrypt | undefined): Promise<{ text: string; vaulted: boolean }> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`, undefined, undefined, { cause: e });
  }
  if (!isAnyVault(text)) return { text, vaulted: false };
  return { text: decrypt ? await decrypt(text, file) : await openVault(text, file), vaulted: true };
}

/** Parse a variables file: a mapping (or an empty file) → its variables. */
export async function loadVarsFile(file: string, decrypt: Decrypt | undefined): Promise<Record<string, unknown>> {
  const { text, vaulted } = await readVarsText(file, decrypt);
  const src = parseYaml(text, file);
  const root = src.doc.contents as Node | null;
  if (root == null || (isScalar(root) && root.value == null)) return {};
  if (!isMap(root)) {
    throw new ConfigError(`expected a mapping of variable names to values, found ${describeNode(root)}`, posOf(src, root));
  }
  let value = toValue(src, root) as Record<string, unknown>;
  if (hasVault(value)) {
    if (!decrypt) throw new ConfigError('an encrypted !vault value needs a vault password (--vault-password-file)', posOf(src, root));
    value = (await decryptVaults(value, inlineDecrypt(decrypt), file)) as Record<string, unknown>;
  }
  // Every value of a vaulted file is a secret (but where to connect): masked in all output.
  if (!vaulted) return value;
  registerSecretVars(value);
  return literalValues(value) as Record<string, unknown>;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Files of a vars directory, recursively, in name order; hidden and backup files skipped. */
async function dirVarsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const full = join(dir, name);
    const ext = extname(name);
    if (await isDir(full)) {
      if (!ext) out.push(...(await dirVarsFiles(full)));
    } else if (VARS_EXTS.includes(ext)) out.push(full);
  }
  return out;
}

/** The vars files of one entity in `dir` (whose entries are `names`), in merge order. */
async function entityFiles(dir: string, names: Set<string>, entity: string): Promise<string[]> {
  if (entity.includes('/') || entity.includes('\\') || entity === '.' || entity === '..') return [];
  for (const ext of VARS_EXTS) {
    const name = entity + ext;
    if (!names.has(name)) continue;
    const full = join(dir, name);
    return (await isDir(full)) ? dirVarsFiles(full) : [full];
  }
  return [];
}

async function mergedFiles(files: string[], decrypt: Decrypt | undefined): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of files) Object.assign(out, await loadVarsFile(f, decrypt));
  return out;
}

/** Load `basedir/group_vars` and `basedir/host_vars` into the inventory's records. */
export async function loadVarsDirs(basedir: string, inv: InventoryData, decrypt?: Decrypt): Promise<void> {
  const groupDir = join(basedir, 'group_vars');
  if (await isDir(groupDir)) {
    const names = new Set(await readdir(groupDir));
    for (const g of inv.groups.values()) {
      Object.assign(g.fileVars, await mergedFiles(await entityFiles(groupDir, names, g.name), decrypt));
    }
  }
  const hostDir = join(basedir, 'host_vars');
  if (await isDir(hostDir)) {
    const names = new Set(await readdir(hostDir));
    for (const h of inv.hosts.values()) {
      Object.assign(h.fileVars, await mergedFiles(await entityFiles(hostDir, names, h.name), decrypt));
    }
    for (const name of LOCALHOST_NAMES) {
      if (inv.hosts.has(name)) continue;
      const files = await entityFiles(hostDir, names, name);
      if (files.length) inv.extraHostFileVars.set(name, await mergedFiles(files, decrypt));
    }
  }
}
