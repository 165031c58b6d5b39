import { defineModule, type ModuleContext } from '../src/core/module.js';
import type { Command } from '../src/transport/types.js';
import { outputFields, runScript } from './_lib/remote.js';

export interface StatParams {
  path: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: 'sha1' | 'sha256';
}

export const statSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, description: 'Path on the host to look at.' },
    follow: {
      type: 'boolean',
      default: false,
      description: 'Follow a symbolic link and report what it points to (default: the link itself).',
    },
    get_checksum: {
      type: 'boolean',
      default: true,
      description: 'Compute the checksum of a regular file (stat.checksum).',
    },
    checksum_algorithm: {
      enum: ['sha1', 'sha256'],
      default: 'sha1',
      description: 'Algorithm of stat.checksum (Ansible\'s default is sha1).',
    },
  },
  required: ['path'],
};

/** sh script: `key value` lines about $1. $2: 1 = follow links; $3: checksum tool or empty. */
export const STAT_SCRIPT = `
p=$1
if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "exists 0"; exit 0; fi
if [ "$2" = 1 ] && [ -L "$p" ] && [ ! -e "$p" ]; then echo "exists 0"; exit 0; fi
echo "exists 1"
if [ "$2" = 1 ]; then L=-L; else L=; fi
stat $L --printf 'mode %a\\nuid %u\\ngid %g\\npw_name %U\\ngr_name %G\\nsize %s\\nmtime %Y\\natime %X\\nctime %Z\\ninode %i\\nnlink %h\\ntype %F\\n' -- "$p" || exit 1
if [ -L "$p" ]; then printf 'lnk_source %s\\n' "$(readlink -f -- "$p")"; printf 'lnk_target %s\\n' "$(readlink -- "$p")"; fi
if [ -r "$p" ]; then echo "readable 1"; else echo "readable 0"; fi
if [ -w "$p" ]; then echo "writeable 1"; else echo "writeable 0"; fi
if [ -x "$p" ]; then echo "executable 1"; else echo "executable 0"; fi
if [ -n "$3" ] && [ -f "$p" ] && { [ "$2" = 1 ] || [ ! -L "$p" ]; } && [ -r "$p" ]; then
  printf 'checksum %s\\n' "$("$3" < "$p" | cut -d' ' -f1)"
fi
`;

/** The one command stat runs (pure). */
export function statCommand(params: StatParams): Command {
  const tool = params.get_checksum === false ? '' : `${params.checksum_algorithm ?? 'sha1'}sum`;
  return { script: STAT_SCRIPT, args: [params.path, params.follow ? '1' : '0', tool] };
}

/** The registered `stat` object from the script's output (pure). */
export function parseStat(stdout: string): Record<string, unknown> {
  const f = outputFields(stdout);
  if (f.exists !== '1') return { exists: false };
  const type = f.type ?? '';
  const num = (k: string) => Number(f[k]);
  const mode = (f.mode ?? '0').padStart(4, '0');
  const m = parseInt(mode, 8);
  const out: Record<string, unknown> = {
    exists: true,
    path: undefined,
    mode,
    uid: num('uid'),
    gid: num('gid'),
    pw_name: f.pw_name,
    gr_name: f.gr_name,
    size: num('size'),
    mtime: num('mtime'),
    atime: num('atime'),
    ctime: num('ctime'),
    inode: num('inode'),
    nlink: num('nlink'),
    isreg: type.startsWith('regular'),
    isdir: type === 'directory',
    islnk: type === 'symbolic link',
    isfifo: type === 'fifo',
    issock: type === 'socket',
    isblk: type === 'block special file',
    ischr: type === 'character special file',
    readable: f.readable === '1',
    writeable: f.writeable === '1',
    executable: f.executable === '1',
    rusr: !!(m & 0o400), wusr: !!(m & 0o200), xusr: !!(m & 0o100),
    rgrp: !!(m & 0o40), wgrp: !!(m & 0o20), xgrp: !!(m & 0o10),
    roth: !!(m & 0o4), woth: !!(m & 0o2), xoth: !!(m & 0o1),
    isuid: !!(m & 0o4000), isgid: !!(m & 0o2000),
  };
  delete out.path;
  if (f.lnk_source !== undefined) out.lnk_source = f.lnk_source;
  if (f.lnk_target !== undefined) out.lnk_target = f.lnk_target;
  if (f.checksum !== undefined) out.checksum = f.checksum;
  return out;
}

async function look(ctx: ModuleContext, params: StatParams): Promise<Record<string, unknown>> {
  const cmd = statCommand(params) as { script: string; args: string[] };
  const r = await runScript(ctx, `stat ${params.path}`, cmd.script, cmd.args);
  const s = parseStat(r.stdout);
  return s.exists ? { ...s, path: params.path } : s;
}

export default defineModule<StatParams, Record<string, unknown>>({
  name: 'stat',
  description:
    'Read what a path on the host is, in one round trip, and register it as `stat`: exists, ' +
    'isdir/isreg/islnk…, mode (octal string), uid/gid, pw_name/gr_name, size, mtime/atime/ctime, ' +
    'lnk_target, and checksum (sha1 by default, or sha256) of a regular file. Read-only: never ' +
    'changes anything and runs in check mode too.',
  example: `- name: Look at the config
  stat: { path: /etc/nginx/nginx.conf, checksum_algorithm: sha256 }
  register: conf
`,
  schema: statSchema,
  readOnly: true,
  async plan(ctx, params) {
    const stat = await look(ctx, params);
    return { changes: [], facts: stat, result: { stat } };
  },
  async apply(_ctx, _params, plan) {
    return { result: { stat: plan.facts }, changed: false };
  },
});
