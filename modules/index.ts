import type { ModuleDefinition } from '../src/core/module.js';
import assertModule from './assert.js';
import blockinfile from './blockinfile.js';
import command from './command.js';
import copy from './copy.js';
import debug from './debug.js';
import dockerContainer from './docker_container.js';
import fail from './fail.js';
import file from './file.js';
import group from './group.js';
import healthCheck from './health_check.js';
import includeVars from './include_vars.js';
import lineinfile from './lineinfile.js';
import logAgent from './log_agent.js';
import meta from './meta.js';
import nginxLb from './nginx_lb.js';
import setFact from './set_fact.js';
import setup from './setup.js';
import service from './service.js';
import shell from './shell.js';
import stat from './stat.js';
import systemd from './systemd.js';
import template from './template.js';
import user from './user.js';
import volume from './volume.js';

/** Every module runbook ships, by the name tasks use. */
export const builtinModules: ModuleDefinition<any, any>[] = [command, shell, copy, template, file, dockerContainer, volume, nginxLb, healthCheck, logAgent, stat, lineinfile, blockinfile, setFact, debug, assertModule, fail, meta, includeVars, setup, service, systemd, user, group];
