import type { ModuleContext } from '../../src/core/module.js';
import { readLocalFile } from '../../src/executor/context.js';
import { dockerOver } from '../../src/executor/docker.js';
import { renderText } from '../../src/template/render.js';
import type { Become, Transport } from '../../src/transport/types.js';

export interface ContextOptions {
  transport: Transport;
  host?: string;
  become?: Become;
  check?: boolean;
  diff?: boolean;
  /** Keep undo copies on the host (default true here: the undo tests need them). */
  keepUndo?: boolean;
  vars?: Record<string, unknown>;
  /** Folder `readLocalFile` searches (as the playbook folder: DIR/files, DIR/templates, DIR). */
  playbookDir?: string;
  /** Renders templates; default: runbook's renderer (strict, no escaping) over `vars`. */
  render?: (text: string, source: string) => string;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/**
 * A real ModuleContext over a Transport, as the executor builds it: commands run with the
 * task's become, files are read from the playbook folder, templates rendered over `vars`.
 */
export function makeModuleContext(o: ContextOptions): ModuleContext {
  const vars = o.vars ?? {};
  const signal = o.signal ?? new AbortController().signal;
  const playbookDir = o.playbookDir ?? process.cwd();
  return {
    host: o.host ?? o.transport.host,
    vars,
    transport: o.transport,
    become: o.become,
    run: (cmd, opts) => o.transport.exec(cmd, { become: o.become, signal, ...opts }),
    docker: () => dockerOver(o.transport),
    check: o.check ?? false,
    diff: o.diff ?? false,
    keepUndo: o.keepUndo ?? true,
    signal,
    playbookDir,
    readLocalFile: (p, sub) => readLocalFile(playbookDir, p, sub),
    render: o.render ?? ((text, source) => renderText(text, vars, { what: source })),
    log: o.log ?? (() => {}),
  };
}
