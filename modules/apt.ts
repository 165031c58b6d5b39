import { defineModule } from '../src/core/module.js';
import { applyApt, PACKAGE_NAME_PATTERN, planApt, type AptParams, type AptPlanFacts } from './_lib/apt.js';

export const aptNameProperty = {
  anyOf: [
    { type: 'array', items: { type: 'string', pattern: PACKAGE_NAME_PATTERN, title: 'a package name' } },
    { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9+._,: -]*$', title: 'package names' },
  ],
  description: 'Package name(s): a list, or one name or a comma-separated string.',
};

export default defineModule<AptParams, AptPlanFacts>({
  name: 'apt',
  description:
    'Install, upgrade or remove Debian packages with apt-get (noninteractive, keeping changed ' +
    'config files). Reads installed versions (dpkg-query), candidates (apt-cache policy) and the ' +
    'age of the package lists in one round trip; `update_cache` runs apt-get update first, only ' +
    'when the lists are older than `cache_valid_time` seconds if given. Check mode only reads.',
  example: `- name: Tools are there, with fresh lists (at most an hour old)
  apt:
    name: [curl, jq]
    state: present
    update_cache: true
    cache_valid_time: 3600
- name: No telnet
  apt: { name: telnet, state: absent, purge: true }
`,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: aptNameProperty,
      pkg: aptNameProperty,
      state: {
        enum: ['present', 'absent', 'latest', 'installed', 'removed'],
        default: 'present',
        description: '`present` (installed, any version), `latest` (the candidate version), `absent`.',
      },
      update_cache: { type: 'boolean', default: false, description: 'Run apt-get update first (a change).' },
      cache_valid_time: {
        type: 'integer',
        minimum: 0,
        description: 'With update_cache: update only when the lists are older than this many seconds.',
      },
      purge: { type: 'boolean', default: false, description: 'With state absent: also remove config files.' },
      install_recommends: { type: 'boolean', description: 'Install recommended packages too (default: apt\'s setting).' },
    },
    anyOf: [{ required: ['name'] }, { required: ['pkg'] }, { required: ['update_cache'] }],
  },
  plan: (ctx, params) => planApt('apt', ctx, withPkg(params)),
  apply: (ctx, _params, plan) => applyApt('apt', ctx, plan),
});

function withPkg(params: AptParams & { pkg?: AptParams['name'] }): AptParams {
  const { pkg, ...rest } = params;
  return pkg !== undefined && rest.name === undefined ? { ...rest, name: pkg } : rest;
}
