import type { ModuleInfo } from '../../../src/playbook/load.js';

/** Stand-ins for the real module definitions: name, schema, free form. */
const cmd = {
  type: 'object',
  properties: {
    cmd: { type: 'string' },
    argv: { type: 'array', items: { type: 'string' } },
    chdir: { type: 'string' },
    creates: { type: 'string' },
    removes: { type: 'string' },
    stdin: { type: 'string' },
  },
  additionalProperties: false,
  oneOf: [{ required: ['cmd'] }, { required: ['argv'] }],
};

export const knownModules = new Map<string, ModuleInfo>([
  ['command', { schema: cmd, freeForm: 'cmd' }],
  ['shell', { schema: cmd, freeForm: 'cmd' }],
  [
    'copy',
    {
      schema: {
        type: 'object',
        properties: {
          dest: { type: 'string' },
          content: { type: 'string' },
          src: { type: 'string' },
          mode: { type: ['string', 'integer'] },
          owner: { type: 'string' },
          group: { type: 'string' },
          backup: { type: 'boolean' },
        },
        required: ['dest'],
        additionalProperties: false,
        oneOf: [{ required: ['content'] }, { required: ['src'] }],
      },
    },
  ],
  [
    'file',
    {
      schema: {
        type: 'object',
        properties: {
          path: { type: 'string' },
          state: { enum: ['file', 'directory', 'link', 'absent', 'touch'] },
          src: { type: 'string' },
          mode: { type: ['string', 'integer'] },
          owner: { type: 'string' },
          group: { type: 'string' },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
  ],
  ['template', { schema: { type: 'object', properties: { src: { type: 'string' }, dest: { type: 'string' } }, required: ['src', 'dest'], additionalProperties: false } }],
  ['debug', { schema: { type: 'object', properties: { msg: {}, var: { type: 'string' } }, additionalProperties: false } }],
  [
    'docker_container',
    {
      schema: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          image: { type: 'string' },
          state: { enum: ['started', 'stopped', 'present', 'absent'] },
          ports: { type: 'array', items: { type: 'string' } },
          env: { type: 'object' },
          recreate: { type: 'boolean' },
        },
        required: ['name'],
        additionalProperties: false,
      },
    },
  ],
]);
