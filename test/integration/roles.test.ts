import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Transport } from '../../src/transport/types.js';
import { REPO, runbook } from '../support/cli.js';
import { fleetTransport } from '../support/fleet-transport.js';

/**
 * The Ansible-style site in test/compat (roles with defaults, vars, templates, files,
 * handlers, a dependency, import_playbook, import_role tasks_from, include_tasks over a
 * loop, with_items / with_dict / with_nested / with_first_found; an application role with
 * gather_facts, include_vars, set_fact, assert, a Jinja template, lineinfile, flush_handlers
 * and block/rescue/always) through the CLI on the
 * fleet: the first run changes, the second changes nothing, check mode leaves every host as
 * it was.
 */

const fleet = inject('fleet');

describe.skipIf(!fleet)('roles: the compatibility site on the fleet', () => {
  const root = `/srv/rb-compat-${randomBytes(4).toString('hex')}`;
  const site = path.join(REPO, 'test/compat/site.yml');
  const play = (...args: string[]) => runbook(['play', site, '-i', fleet.inventoryPath, '-e', `compat_root=${root}`, '--output', 'json', ...args]);
  const web = fleet.hosts[0]!.name;
  const other = fleet.hosts.at(-1)!.name;
  const conns = new Map<string, Transport>();
  const on = (h: string) => {
    if (!conns.has(h)) conns.set(h, fleetTransport(fleet, h));
    return conns.get(h)!;
  };
  /** Every path under the root with its type, mode and content hash, on each host. */
  const snapshot = async () => {
    const out: Record<string, string> = {};
    for (const h of fleet.hosts) {
      const r = await on(h.name).exec({
        script: 'cd "$1" 2>/dev/null || { echo none; exit 0; }; find . -printf "%p %y %m\\n" | sort; find . -type f -exec sha256sum {} + | sort',
        args: [root],
      });
      out[h.name] = r.stdout;
    }
    return out;
  };
  const cat = async (h: string, rel: string) => (await on(h).exec(['cat', `${root}/${rel}`])).stdout;

  beforeAll(() => {
    expect(fleet.hosts.length).toBeGreaterThanOrEqual(4);
  });
  afterAll(async () => {
    for (const [, t] of conns) {
      await t.exec(['rm', '-rf', root]);
      await t.close?.();
    }
  });

  it('check mode first: reports changes, touches nothing', async () => {
    const check = await play('--check', '--detailed-exitcode');
    expect(check.stderr).not.toMatch(/error/i);
    expect(check.code).toBe(2);
    for (const h of Object.values(check.summary!.hosts)) expect(h).toMatchObject({ failed: 0, unreachable: 0 });
    const snap = await snapshot();
    for (const h of fleet.hosts) expect(snap[h.name]).toBe('none\n');
  });

  it('first run changes, with roles, dependencies, defaults, vars, params and handlers', async () => {
    const first = await play('--detailed-exitcode');
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(2);
    for (const h of Object.values(first.summary!.hosts)) expect(h).toMatchObject({ failed: 0, unreachable: 0 });

    // common (a dependency of nginx_site and a role of the base play): its default and template.
    expect(await cat(web, 'etc/motd')).toBe(`Managed by runbook on ${web}\n`);
    expect(await cat(other, 'etc/motd')).toBe(`Managed by runbook on ${other}\n`);
    // nginx_site twice with different parameters (the third, a repeat, ran once).
    expect(await cat(web, 'etc/nginx/shop.conf')).toBe(`server {\n    listen 8081;\n    server_name shop.example;\n    root ${root}/www/shop;\n}\n`);
    expect(await cat(web, 'etc/nginx/blog.conf')).toContain('    listen 80;\n');
    expect(await cat(web, 'www/blog/index.html')).toBe('<h1>It works</h1>\n');
    expect(await cat(web, 'etc/sites.txt')).toBe('# sites on this host\nshop\nblog\n');
    // Both configs notified one handler: it ran once on each web host, not on the others.
    expect(await cat(web, 'log/nginx-reloads')).toBe('reloaded\n');
    expect((await on(other).exec(['test', '-e', `${root}/log/nginx-reloads`])).exitCode).not.toBe(0);
    expect((await on(other).exec(['test', '-e', `${root}/www`])).exitCode).not.toBe(0);
    // users: with_items, with_nested, with_dict, with_first_found, include_tasks over a loop, import_role tasks_from.
    expect(await cat(other, 'etc/groups')).toBe('admins: alice\ndevs: alice,bob\n');
    expect(await cat(other, 'etc/shells')).toBe('/bin/bash\n/bin/sh\n');
    expect(await cat(other, 'home/.bashrc')).toBe('# bashrc for 2 users\n');
    expect((await on(other).exec(['test', '-d', `${root}/home/bob/.config`])).exitCode).toBe(0);
    expect(await cat(web, 'etc/users.txt')).toBe('alice bob\n');
    // app: gathered facts, include_vars, set_fact, assert, a Jinja template, lineinfile, a flushed
    // handler, block/rescue/always (the template's text is Jinja2's own rendering of it).
    const cpus = Number((await on(web).exec(['nproc'])).stdout.trim());
    expect(await cat(web, 'app/app.conf')).toBe(
      `# shopfront 2.4.1 on ${web} (Debian 12)\n[server]\nport = 9090\nthreads = ${Math.max(cpus, 2)}\nnon_default_port = yes\n\n` +
        '[features]\n1. cart\n2. search (last)\nchannels = stable, beta\n\n[limits]\nfiles = 1024\nmemory = 256m\nentries = 4\n',
    );
    expect(await cat(web, 'app/env')).toBe('APP_PORT=9090\n');
    expect(await cat(web, 'app/fallback')).toBe('fell back after: Probe a missing binary\n');
    expect(await cat(web, 'app/stamp')).toBe('SHOPFRONT-2.4.1\n');
    expect(await cat(web, 'app/restarts')).toBe('restarted SHOPFRONT-2.4.1\n');
    // Jinja in playbook strings: a for statement, inline if, floor division; a {% %}-only mode.
    expect(await cat(web, 'app/features')).toBe('search,cart (many, 512 files each)\n');
    expect((await on(web).exec(['stat', '-c', '%a', `${root}/app/features`])).stdout.trim()).toBe('640');
    expect((await on(other).exec(['test', '-e', `${root}/app`])).exitCode).not.toBe(0);
    const tasks = first.events.filter((e) => e.type === 'task:done' && e.host === web).map((e) => e.task.name);
    // The handler ran at flush_handlers, before the block.
    expect(tasks.indexOf('restart app')).toBeLessThan(tasks.indexOf('Probe a missing binary'));
    expect(tasks.filter((n: string) => n === 'Site config')).toHaveLength(2);
    expect(tasks.filter((n: string) => n === 'reload nginx')).toHaveLength(1);
  });

  it('second run changes nothing; check mode after it leaves every host byte-identical', async () => {
    const again = await play('--detailed-exitcode');
    expect(again.stderr).not.toMatch(/error/i);
    expect(again.code).toBe(0);
    for (const h of Object.values(again.summary!.hosts)) expect(h).toMatchObject({ changed: 0, failed: 0 });
    const before = await snapshot();
    const check = await play('--check', '--detailed-exitcode');
    expect(check.code).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect(await cat(web, 'log/nginx-reloads')).toBe('reloaded\n');
    expect(await cat(web, 'app/restarts')).toBe('restarted SHOPFRONT-2.4.1\n');
  });

  it('--tags selects a role by the tags of its roles: entry', async () => {
    const r = await play('--tags', 'users', '--list-tasks');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Homes');
    expect(r.stdout).not.toContain('Message of the day');
  });
});
