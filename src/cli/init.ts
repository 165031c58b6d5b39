import { mkdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';

/**
 * `runbook init [DIR]`: a project that runs as it is: a local inventory and an SSH example,
 * group variables beside them, a playbook with a template and a handler, and the editor
 * schemas the playbook and inventories point at. Existing files are never overwritten.
 */
export interface InitFile {
  path: string;
  content: string;
}

export function initFiles(name: string, schemas: { playbook: string; inventory: string }): InitFile[] {
  const pbSchema = '# yaml-language-server: $schema=../schemas/playbook.schema.json';
  const invSchema = '# yaml-language-server: $schema=../schemas/inventory.schema.json';
  return [
    {
      path: 'inventories/local.yml',
      content: `${invSchema}
# This machine, without SSH:  runbook play site.yml -i local
all:
  hosts:
    localhost: { ansible_connection: local }
`,
    },
    {
      path: 'inventories/servers.yml',
      content: `${invSchema}
# Your servers over SSH (keys from ssh-agent or ~/.ssh, host keys from ~/.ssh/known_hosts):
#   runbook play site.yml -i servers --check --diff
all:
  vars: { ansible_user: root }
  children:
    web:
      hosts:
        web1: { ansible_host: 192.0.2.10 }
        web2: { ansible_host: 192.0.2.11 }
`,
    },
    {
      path: 'inventories/group_vars/all.yml',
      content: `# Variables of every host of the inventories in this folder.
app_name: ${name}
base_dir: /tmp/${name}-demo
greeting: hello
`,
    },
    {
      path: 'playbooks/site.yml',
      content: `${pbSchema}
# Run it twice: the second run changes nothing.
#   runbook play site.yml -i local --check --diff   (what would change)
#   runbook play site.yml -i local
- name: ${name}
  hosts: all
  tasks:
    - name: App folders
      file: { path: "{{ base_dir }}/{{ item }}", state: directory, mode: "0755" }
      loop: [conf, www]

    - name: Home page
      copy:
        dest: "{{ base_dir }}/www/index.html"
        content: "<h1>{{ greeting }} from {{ inventory_hostname }}</h1>\\n"
        mode: "0644"

    - name: App config
      template: { src: app.conf.hbs, dest: "{{ base_dir }}/conf/app.conf", mode: "0640" }
      notify: config changed

  handlers:
    - name: config changed
      shell: "date -u +%FT%TZ > '{{ base_dir }}/conf/reloaded'"
`,
    },
    {
      path: 'playbooks/templates/app.conf.hbs',
      content: `# {{ app_name }} on {{ inventory_hostname }}; written by runbook, local edits are reverted.
root {{ base_dir }}/www;
{{#each groups.all}}
peer {{ this }};
{{/each}}
`,
    },
    { path: 'schemas/playbook.schema.json', content: schemas.playbook },
    { path: 'schemas/inventory.schema.json', content: schemas.inventory },
  ];
}

/** Write the scaffold into `dir`; refuses (naming them) when any of its files exist. */
export async function initProject(dir: string, schemas: { playbook: string; inventory: string }): Promise<string[]> {
  const name = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9_.-]/g, '-') || 'app';
  const files = initFiles(name, schemas);
  const existing: string[] = [];
  for (const f of files) {
    if (await exists(path.join(dir, f.path))) existing.push(f.path);
  }
  if (existing.length) {
    throw new ConfigError(`runbook init writes no file that exists; already there in ${path.resolve(dir)}: ${existing.join(', ')}`);
  }
  for (const f of files) {
    const full = path.join(dir, f.path);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, f.content, { flag: 'wx' });
  }
  return files.map((f) => f.path);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
