/**
 * `-i INVENTORY` → an Inventory (SPEC §1, §3). INVENTORY is, in this order:
 *   1. a path (file or directory) relative to cwd;
 *   2. a comma-separated host list (`web1,web2:2222,` as Ansible's host_list plugin);
 *   3. a name under cwd: `inventories/NAME.yml`, `.yaml`, `.ini`, or `inventories/NAME/`;
 *   4. `local`: the built-in inventory (one host, `localhost`, connection local).
 * `group_vars/` and `host_vars/` are read from the inventory directory, or from the directory
 * holding an inventory file.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { parseIniInventory } from './ini-inventory.js';
import { InventoryData, StaticInventory } from './model.js';
import { expandHostPattern } from './ranges.js';
import { loadVarsDirs, readVarsText, type Decrypt } from './vars-files.js';
import { decryptVaults, hasVault } from './yaml-source.js';
import { parseYamlInventory } from './yaml-inventory.js';
import { activeDecrypt, inlineDecrypt } from '../vault/keyring.js';
import { registerSecretVars } from '../vault/secrets.js';

export interface LoadInventoryOptions {
  cwd: string;
  /** Decrypts vault files and inline `!vault` values; without it they are a ConfigError. */
  decrypt?: Decrypt;
}

/** The name of the built-in inventory. */
export const LOCAL_INVENTORY = 'local';

const YAML_EXTS = ['.yml', '.yaml', '.json'];

type Kind = 'file' | 'dir' | 'other' | 'missing';

async function kindOf(path: string): Promise<Kind> {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** Where `spec` points: a path that exists, a host list, or the built-in inventory. */
export async function resolveInventory(
  spec: string,
  cwd: string,
): Promise<{ kind: 'file' | 'dir'; path: string } | { kind: 'hostlist' } | { kind: 'local' }> {
  const tried: string[] = [];
  const direct = resolve(cwd, spec);
  const k = await kindOf(direct);
  if (k === 'file' || k === 'dir') return { kind: k, path: direct };
  if (k === 'other') throw new ConfigError(`inventory ${direct} is neither a file nor a directory`);
  tried.push(spec);
  if (spec.includes(',')) return { kind: 'hostlist' };
  // Only a name is looked for under inventories/; a path is looked for where it says.
  if (spec !== '' && !spec.includes('\0') && !spec.includes('/')) {
    const base = join(cwd, 'inventories', spec);
    // A name that already ends in an inventory extension is looked for as it is.
    for (const ext of /\.(ya?ml|ini)$/.test(spec) ? [''] : ['.yml', '.yaml', '.ini']) {
      const p = base + ext;
      if ((await kindOf(p)) === 'file') return { kind: 'file', path: p };
      tried.push(`inventories/${spec}${ext}`);
    }
    if ((await kindOf(base)) === 'dir') return { kind: 'dir', path: base };
    tried.push(`inventories/${spec}/`);
  }
  if (spec === LOCAL_INVENTORY) return { kind: 'local' };
  throw new ConfigError(
    `inventory '${spec}' not found: tried ${tried.join(', ')} (under ${cwd}); '${LOCAL_INVENTORY}' is the built-in one`,
  );
}

export async function loadInventory(spec: string, opts: LoadInventoryOptions): Promise<StaticInventory> {
  const where = await resolveInventory(spec, opts.cwd);
  opts = { ...opts, decrypt: opts.decrypt ?? activeDecrypt() };
  if (where.kind === 'local') return localInventory();
  if (where.kind === 'hostlist') return hostListInventory(spec);
  const data = new InventoryData();
  let basedir: string;
  if (where.kind === 'file') {
    await parseInventoryFile(where.path, data, opts.decrypt);
    basedir = dirname(where.path);
  } else {
    const files = await inventoryFiles(where.path);
    if (files.length === 0) {
      throw new ConfigError(`inventory directory ${where.path} holds no inventory file (hosts.yml, hosts, *.yml, *.yaml, *.ini)`);
    }
    for (const f of files) await parseInventoryFile(f, data, opts.decrypt);
    basedir = where.path;
  }
  data.reconcile();
  await loadVarsDirs(basedir, data, opts.decrypt);
  if (opts.decrypt) await decryptInline(data, opts.decrypt, where.path);
  return new StaticInventory(where.path, data, basedir);
}

/**
 * Inventory files of a directory, recursively, in name order (Ansible's directory source):
 * `*.yml`, `*.yaml`, `*.json`, `*.ini` and files without an extension; hidden files, backups
 * (`~`), `group_vars/`, `host_vars/` and other extensions (README.md, ...) are skipped.
 */
async function inventoryFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.') || name.endsWith('~') || name === 'group_vars' || name === 'host_vars') continue;
    const full = join(dir, name);
    const ext = extname(name).toLowerCase();
    const k = await kindOf(full);
    if (k === 'dir') out.push(...(await inventoryFiles(full)));
    else if (k === 'file' && (ext === '' || ext === '.ini' || YAML_EXTS.includes(ext))) out.push(full);
  }
  return out;
}

/** YAML by extension; `.ini` is INI; without an extension, whichever the first line says. */
function formatOf(file: string, text: string): 'yaml' | 'ini' {
  const ext = extname(file).toLowerCase();
  if (YAML_EXTS.includes(ext)) return 'yaml';
  if (ext === '.ini') return 'ini';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) return 'ini';
    if (line === '---' || line.startsWith('{') || /^[^\s=]+:(\s|$)/.test(line)) return 'yaml';
    return 'ini';
  }
  return 'ini';
}

async function parseInventoryFile(file: string, data: InventoryData, decrypt: Decrypt | undefined): Promise<void> {
  const { text, vaulted } = await readVarsText(file, decrypt);
  if (text.startsWith('#!')) {
    throw new ConfigError('dynamic inventory scripts are not supported: write the inventory as YAML or INI', { file, line: 1, col: 1 });
  }
  const parse = (into: InventoryData) => {
    if (formatOf(file, text) === 'yaml') parseYamlInventory(text, file, into, { allowVault: decrypt !== undefined });
    else parseIniInventory(text, file, into);
  };
  parse(data);
  if (vaulted) {
    // A vaulted inventory's variables are secrets, as a vaulted group_vars file's are: this
    // file's alone (parsed again on its own), not those it merges with from other files.
    const own = new InventoryData();
    parse(own);
    for (const e of [...own.groups.values(), ...own.hosts.values()]) registerSecretVars(e.inlineVars);
  }
}

async function decryptInline(data: InventoryData, decrypt: Decrypt, where: string): Promise<void> {
  const fix = async (vars: Record<string, unknown>): Promise<void> => {
    for (const [k, v] of Object.entries(vars)) if (hasVault(v)) vars[k] = await decryptVaults(v, inlineDecrypt(decrypt), where);
  };
  for (const g of data.groups.values()) await fix(g.inlineVars);
  for (const h of data.hosts.values()) await fix(h.inlineVars);
}

/** The built-in inventory: `localhost` (ungrouped), `ansible_connection: local`. */
export function localInventory(): StaticInventory {
  const data = new InventoryData();
  data.addHost('localhost', 'ungrouped');
  data.setHostVar('localhost', 'ansible_connection', 'local');
  data.reconcile();
  return new StaticInventory(LOCAL_INVENTORY, data);
}

/** `-i 'web1,web2:2222,'`: the hosts, ungrouped, as Ansible's host_list plugin reads them. */
export function hostListInventory(spec: string): StaticInventory {
  const data = new InventoryData();
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    let expanded: { hosts: string[]; port?: number };
    try {
      expanded = expandHostPattern(item);
    } catch (e) {
      throw new ConfigError(`host list '${spec}': ${(e as Error).message}`);
    }
    data.addHosts(expanded, 'ungrouped');
  }
  data.reconcile();
  return new StaticInventory(spec, data);
}
