import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * How bin/runbook.js starts the CLI: the bundle of src/cli/main.ts (npm run build), compiled
 * from the V8 code cache the build wrote next to it. Reading one file and skipping the parse
 * of its code is most of a command's start-up; a cache made by another node (V8 refuses it)
 * or a missing one only costs the parse. Code run this way has no dynamic import() (the build
 * refuses a bundle with one): what loads lazily is required.
 */

type Main = (argv: string[], io?: Record<string, unknown>) => Promise<number>;

export const BUNDLE = fileURLToPath(new URL('main.bundle.cjs', import.meta.url));
export const CODE_CACHE = `${BUNDLE}.codecache`;

export function loadCli(cache: Buffer | undefined = readCache()): { main: Main; script: vm.Script } {
  const source = readFileSync(BUNDLE, 'utf8');
  // Strict, as the ES modules bundled were.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {'use strict';${source}\n})`, {
    filename: BUNDLE,
    cachedData: cache,
  });
  const mod = { exports: {} as { main: Main } };
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  return { main: mod.exports.main, script };
}

function readCache(): Buffer | undefined {
  try {
    return readFileSync(CODE_CACHE);
  } catch {
    return undefined;
  }
}

export async function startCli(argv: string[]): Promise<void> {
  process.exitCode = await loadCli().main(argv);
}
