import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Argument, Command, CommanderError, Option } from 'commander';
import { ConfigError, formatPos } from '../core/errors.js';
import type { ModuleDefinition } from '../core/module.js';
import { EXIT } from '../core/types.js';
import { loadInventory } from '../inventory/load.js';
import { builtinModules } from '../../modules/index.js';
import { docCommand, moduleMarkdown } from './doc.js';
import { initProject } from './init.js';
import { editorSchema, SCHEMA_KINDS, type SchemaKind } from '../playbook/editor-schema.js';
import { inventoryGraph, inventoryHost, inventoryList } from './inventory.js';
import { cronInstall, cronList, cronRemove, cronRun } from './cron.js';
import { driftCommand, type DriftOptions } from './drift.js';
import { historyCommand } from './history.js';
import { describeError, playCommand, type CliIO, type PlayOptions } from './play.js';
import { encryptString, readStdin, vaultCommand } from './vault.js';
import { configureVault, preloadPassword } from '../vault/keyring.js';
import { maskSecrets } from '../vault/secrets.js';
import { passwordSource, type PasswordOptions } from '../vault/password.js';

const collect = (v: string, prev: string[]) => [...prev, v];

/** runbook's version, from its package.json (two folders up from src/cli/, three from dist/src/cli/). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runbook' && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}
const count = (_: string, prev: number) => prev + 1;

function moduleMap(): Map<string, ModuleDefinition<any, any>> {
  return new Map(builtinModules.map((m) => [m.name, m]));
}

/** Run the CLI; resolves to the process exit code (SPEC §2). */
export async function main(argv: string[], io?: Partial<CliIO>): Promise<number> {
  const controller = new AbortController();
  const abortController = new AbortController();
  // A reader that goes away (`| head`) must not crash a run halfway through changing hosts:
  // output stops, the run finishes.
  let stdoutOpen = true;
  let stderrOpen = true;
  if (!io) {
    process.stdout.on('error', () => (stdoutOpen = false));
    process.stderr.on('error', () => (stderrOpen = false));
  }
  const full: CliIO = {
    cwd: process.cwd(),
    out: (s) => void (stdoutOpen && process.stdout.write(`${s}\n`)),
    err: (s) => void (stderrOpen && process.stderr.write(`${s}\n`)),
    isTTY: Boolean(process.stdout.isTTY) && process.env.TERM !== 'dumb' && !process.env.CI,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    modules: moduleMap(),
    signal: controller.signal,
    abort: abortController.signal,
    argv,
    ...io,
  };
  // Every line runbook prints passes here: vault and no_log values become ********.
  const rawOut = full.out;
  const rawErr = full.err;
  full.out = (s) => rawOut(maskSecrets(s));
  full.err = (s) => rawErr(maskSecrets(s));
  let exit: number = EXIT.OK;
  let verbose = false;
  const onSignal = () => {
    // First: start nothing new, let in-flight tasks finish. Second: abort them. Third: leave now.
    if (abortController.signal.aborted) process.exit(EXIT.INTERRUPTED);
    if (controller.signal.aborted) {
      full.err('interrupt: aborting in-flight tasks (press again to quit at once)');
      abortController.abort();
      return;
    }
    full.err('interrupt: finishing in-flight tasks, starting nothing new (press again to abort them)');
    controller.abort();
  };
  if (!io) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const program = new Command('runbook')
    .description('Push-based automation over SSH: playbooks, inventories, idempotent modules.')
    .version(`runbook ${packageVersion()} (node ${process.version})`, '--version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => full.out(s.trimEnd()), writeErr: (s) => full.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  const runOptions = (cmd: Command) =>
    cmd
      .requiredOption('-i, --inventory <inventory>', 'inventory path or name under inventories/ (built in: local)')
      .option('--diff', 'show before/after diffs of what changes')
      .option('-l, --limit <pattern>', 'further limit hosts to a pattern')
      .option('-t, --tags <tags>', 'only run tasks tagged with these (comma-separated)')
      .option('--skip-tags <tags>', 'skip tasks tagged with these')
      .option('-e, --extra-vars <vars>', 'key=value, JSON, or @file (repeatable)', collect, [])
      .option('-f, --forks <n>', 'hosts worked on in parallel', (v) => parsePositiveInt(v, '--forks'), 50)
      .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--report <file>', 'write a JSON report of the run')
      .option('--lock-wait <seconds>', 'wait this long for another run on the inventory to finish', (v) => parseSeconds(v, '--lock-wait'), 0)
      .option('-v, --verbose', 'more detail (repeatable)', count, 0)
      .option('--vault-password-file <file>', 'vault password: this file\'s first line, or its output when executable')
      .option('--ask-vault-pass', 'ask for the vault password (else RUNBOOK_VAULT_PASSWORD_FILE, RUNBOOK_VAULT_PASSWORD, or a prompt on a terminal)');
  // An explicitly given password is read at once (Ansible does the same); the terminal prompt
  // only when a vault is met.
  const useVault = async (opts: PasswordOptions) => {
    configureVault(passwordSource(opts, full.cwd));
    const env = process.env;
    if (opts.vaultPasswordFile || opts.askVaultPass || env.RUNBOOK_VAULT_PASSWORD || env.RUNBOOK_VAULT_PASSWORD_FILE) await preloadPassword();
  };

  runOptions(program.command('play').argument('<playbook>', 'playbook path, or a name under playbooks/'))
    .description('run a playbook')
    .option('-C, --check', 'plan only: report what would change, change nothing')
    .option('--list-hosts', 'list the hosts each play would run on')
    .option('--list-tasks', 'list the tasks each play would run')
    .option('--syntax-check', 'check the playbook and stop')
    .option('--detailed-exitcode', 'exit 2 when something changed')
    .action(async (playbook: string, opts: PlayOptions & PasswordOptions) => {
      verbose = opts.verbose > 0;
      await useVault(opts);
      exit = await playCommand(playbook, opts, full);
    });

  runOptions(program.command('drift').argument('<playbook>', 'playbook path, or a name under playbooks/'))
    .description('check every host and report the tasks that would change (exit 2 on drift); --fix corrects them')
    .option('--fix', 'apply the corrections on the drifted hosts, then check them again')
    .option('--notify <url>', 'POST the JSON report here when drift or a failure is found')
    .option('--list-hosts', 'list the hosts each play would check')
    .option('--list-tasks', 'list the tasks each play would check')
    .option('--syntax-check', 'check the playbook and stop')
    .action(async (playbook: string, opts: DriftOptions & PasswordOptions) => {
      verbose = opts.verbose > 0;
      await useVault(opts);
      exit = await driftCommand(playbook, opts, full);
    });

  program
    .command('history')
    .description('past play and drift runs from the run journal; with an ID, one run in detail')
    .argument('[id]', 'run id (or a unique prefix of it)')
    .option('-n, --last <n>', 'how many runs to list', (v) => parsePositiveInt(v, '--last'), 20)
    .option('--json', 'print JSON')
    .action((id: string | undefined, opts: { last: number; json?: boolean }) => {
      exit = historyCommand(id, opts, full);
    });

  const cron = program.command('cron').description("schedule runbook runs in the user's crontab");
  cron
    .command('install')
    .description('add (or replace) one marked crontab line that runs runbook ARGS on a schedule')
    .argument('<name>', 'name of the entry (letters, digits, . _ -)')
    .argument('<args...>', 'runbook arguments after --, e.g. -- drift site.yml -i prod --fix')
    .requiredOption('--schedule <cron>', 'five-field cron schedule, e.g. "*/30 * * * *"')
    .option('--splay <seconds>', 'sleep a random 0..N seconds before each run', (v) => parseSeconds(v, '--splay'), 0)
    .action(async (name: string, args: string[], opts: { schedule: string; splay: number }) => {
      exit = await cronInstall(name, args, opts, full);
    });
  cron
    .command('list')
    .description("runbook's entries in the crontab")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      exit = await cronList(opts, full);
    });
  cron
    .command('remove')
    .description('remove an entry from the crontab')
    .argument('<name>', 'name of the entry')
    .action(async (name: string) => {
      exit = await cronRemove(name, full);
    });
  cron
    .command('run', { hidden: true })
    .description('what a crontab line runs: splay, then runbook ARGS, logged to the entry\'s log file')
    .argument('<name>')
    .argument('<args...>')
    .option('--splay <seconds>', 'sleep a random 0..N seconds first', (v) => parseSeconds(v, '--splay'), 0)
    .action(async (name: string, args: string[], opts: { splay: number }) => {
      exit = await cronRun(name, args, opts, full, (a, o) => main(a, o));
    });

  program
    .command('inventory')
    .description('show an inventory (--list and --host print ansible-inventory\'s JSON)')
    .requiredOption('-i, --inventory <inventory>', 'inventory path or name')
    .option('--list', 'all groups and host variables as JSON')
    .option('--host <host>', 'one host\'s variables as JSON')
    .option('--graph [pattern]', 'the group tree')
    .option('--vault-password-file <file>', 'vault password: this file\'s first line, or its output when executable')
    .option('--ask-vault-pass', 'ask for the vault password')
    .action(async (opts: { inventory: string; list?: boolean; host?: string; graph?: string | boolean } & PasswordOptions) => {
      await useVault(opts);
      const inv = await loadInventory(opts.inventory, { cwd: full.cwd });
      for (const w of inv.warnings) full.err(`warning: ${w.pos ? `${formatPos(w.pos)}: ` : ''}${w.msg}`);
      if (opts.host) {
        if (!inv.hostNames.includes(opts.host)) throw new ConfigError(`host '${opts.host}' is not in ${inv.source}`);
        full.out(JSON.stringify(inventoryHost(inv, opts.host), null, 4));
      } else if (opts.list) full.out(JSON.stringify(inventoryList(inv), null, 4));
      else full.out(inventoryGraph(inv, typeof opts.graph === 'string' ? opts.graph : undefined));
    });

  const vault = program
    .command('vault')
    .description('encrypted variable files and values (AES-256-GCM, scrypt): encrypt, decrypt, view, edit, encrypt-string');
  const vaultOptions = (cmd: Command) =>
    cmd
      .option('--vault-password-file <file>', 'vault password: this file\'s first line, or its output when executable')
      .option('--ask-vault-pass', 'ask for the vault password (else RUNBOOK_VAULT_PASSWORD_FILE, RUNBOOK_VAULT_PASSWORD, or a prompt)');
  const fileAction = (action: string, about: string, confirm: boolean) =>
    vaultOptions(vault.command(action).description(about).argument('<files...>', 'files'))
      .action(async (files: string[], opts: PasswordOptions) => {
        exit = await vaultCommand(action, files, passwordSource(opts, full.cwd, process.env, confirm), full);
      });
  fileAction('encrypt', 'encrypt files in place', true);
  fileAction('decrypt', 'decrypt files in place', false);
  fileAction('view', 'print decrypted files', false);
  fileAction('edit', 'decrypt into a private temp file, run $VISUAL/$EDITOR, encrypt again (a new file is created)', false);
  vaultOptions(vault.command('encrypt-string').description('print VALUE (else stdin) as an inline `!vault |` YAML value'))
    .argument('[value]', 'the value to encrypt (read from stdin when absent)')
    .option('--name <name>', 'print it as `NAME: !vault |`')
    .action(async (value: string | undefined, opts: PasswordOptions & { name?: string }) => {
      exit = await encryptString(value ?? (await readStdin()), opts, passwordSource(opts, full.cwd, process.env, true), full);
    });

  program
    .command('doc')
    .description('module reference, generated from the modules\' schemas')
    .argument('[module]', 'module name')
    .addOption(new Option('--markdown', 'every module with its example, as the README shows them').hideHelp())
    .action((name: string | undefined, opts: { markdown?: boolean }) => {
      if (opts.markdown) return full.out(moduleMarkdown(full.modules));
      const text = docCommand(full.modules, name);
      if (!text) throw new ConfigError(`unknown module '${name}' (known: ${[...full.modules.keys()].sort().join(', ')})`);
      full.out(text);
    });

  const schemaText = (kind: SchemaKind) => `${JSON.stringify(editorSchema(kind, full.modules), null, 2)}\n`;
  program
    .command('schema')
    .description('JSON Schema of playbooks, task files or inventories, for editors (yaml-language-server)')
    .addArgument(new Argument('<kind>', 'what the schema describes').choices([...SCHEMA_KINDS]))
    .action((kind: SchemaKind) => full.out(schemaText(kind).trimEnd()));

  program
    .command('init')
    .description('scaffold inventories/, group_vars, playbooks/ and editor schemas with a working example')
    .argument('[dir]', 'project folder', '.')
    .action(async (dir: string) => {
      const target = path.resolve(full.cwd, dir);
      const written = await initProject(target, { playbook: schemaText('playbook'), inventory: schemaText('inventory') });
      full.out(written.map((f) => `created ${path.join(dir, f)}`).join('\n'));
      full.out(`\nnext: cd ${dir} && runbook play site.yml -i local --check --diff`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; everything else commander rejects is usage (exit 1).
      return e.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
    }
    full.err(describeError(e, verbose));
    return EXIT.ERROR;
  } finally {
    configureVault(undefined);
    if (!io) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  return exit;
}

function parseSeconds(v: string, name: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new ConfigError(`${name} takes a number of seconds (0 or more), found '${v}'`);
  return n;
}

function parsePositiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} takes a whole number of at least 1, found '${v}'`);
  return n;
}
