import type { ModuleDefinition } from '../src/core/module.js';
import blockinfile from './blockinfile.js';
import command from './command.js';
import copy from './copy.js';
import dockerContainer from './docker_container.js';
import file from './file.js';
import healthCheck from './health_check.js';
import lineinfile from './lineinfile.js';
import logAgent from './log_agent.js';
import nginxLb from './nginx_lb.js';
import shell from './shell.js';
import stat from './stat.js';
import template from './template.js';
import volume from './volume.js';

/** Every module runbook ships, by the name tasks use. */
export const builtinModules: ModuleDefinition<any, any>[] = [command, shell, copy, template, file, dockerContainer, volume, nginxLb, healthCheck, logAgent, stat, lineinfile, blockinfile];
