import type { JsonSchema } from '../core/module.js';

/*
 * JSON Schema of Ansible's YAML inventory, for editors (the YAML language server). The loader
 * (yaml-inventory.ts) checks the same shape by hand, to report Ansible's own warnings and
 * errors at file:line:col; test/unit/inventory/schema.test.ts holds the two to agreement on
 * the example and fixture inventories.
 */

const vars: JsonSchema = {
  type: ['object', 'null'],
  title: 'a map of variables',
  description: 'Variables of the group or host (ansible_host, ansible_port, ansible_user, ansible_become, …).',
  properties: {
    ansible_host: { type: 'string', description: 'Address to connect to (default: the inventory name).' },
    ansible_port: { type: ['integer', 'string'], description: 'SSH port (1-65535, default 22).' },
    ansible_user: { type: 'string', description: 'Login user.' },
    ansible_connection: { type: 'string', enum: ['ssh', 'local', 'smart', 'paramiko'], description: 'ssh (default) or local.' },
    ansible_become: { type: ['boolean', 'string'], description: 'Run tasks through sudo.' },
    ansible_become_user: { type: 'string', description: 'User to become (default root).' },
    ansible_ssh_private_key_file: { type: 'string', description: 'Private key for the login.' },
    ansible_ssh_common_args: { type: 'string', description: 'Extra ssh options; -o UserKnownHostsFile= and -o StrictHostKeyChecking= are honoured.' },
  },
  additionalProperties: true,
};

const group: JsonSchema = {
  type: ['object', 'null'],
  title: 'a group (hosts, vars, children)',
  properties: {
    hosts: {
      type: ['object', 'null'],
      title: 'a map of host names (ranges like web[01:10] allowed) to their variables',
      additionalProperties: { $ref: '#/definitions/vars' },
    },
    vars: { $ref: '#/definitions/vars' },
    children: {
      type: ['object', 'null'],
      title: 'a map of child group names to groups',
      additionalProperties: { $ref: '#/definitions/group' },
    },
  },
  additionalProperties: false,
};

/** An inventory file: a map of top-level groups (usually just `all`). */
export const inventorySchema: JsonSchema = {
  title: 'an Ansible YAML inventory',
  description: 'A map of groups; each group has hosts, vars and children.',
  type: 'object',
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: { group, vars },
};
