import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE, CODE_CACHE, loadCli } from '../cli/start.js';

/**
 * Build step (src/build/index.ts): bundle the CLI and the pure-JavaScript libraries it always
 * needs into one CommonJS file, dist/src/cli/main.bundle.cjs, and write V8's code cache of it
 * (src/cli/start.ts loads both). Node then reads one file instead of resolving some 250 and
 * compiles little. The bundle sits where main.js is, so paths built from import.meta.url hold.
 */

const DIST = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Left out of the bundle: native addons, and libraries loaded only when a command needs them
 * (required at the point of use), so they stay off the start-up path.
 */
const EXTERNAL = ['ssh2', 'better-sqlite3', 'dockerode', 'listr2', 'diff', 'cron-parser'];

export async function bundleCli(): Promise<void> {
  await build({
    entryPoints: [`${DIST}src/cli/main.js`],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    // Smaller source compiles faster; names are kept so errors and stack traces read the same.
    minify: true,
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
    // A CommonJS file has no import.meta: the bundle's own URL stands in.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // A script compiled with a code cache has no dynamic import() on Node 20: every lazy load
  // in the bundle must be a require.
  const dynamic = /\bimport\((?!\))/.exec(readFileSync(BUNDLE, 'utf8'));
  if (dynamic) throw new Error(`the bundle has a dynamic import() (at offset ${dynamic.index}): load it with createRequire instead`);
  await writeCodeCache();
}

/**
 * The code cache holds what V8 compiled while running a representative command (a syntax
 * check of the example playbook), so the functions start-up runs are in it, not only the
 * top level. Written to a temporary name, then renamed.
 */
async function writeCodeCache(): Promise<void> {
  const { main, script } = loadCli(undefined);
  const quiet = () => {};
  const code = await main(['play', path.join(DIST, '..', 'playbooks', 'site.yml'), '-i', 'local', '--syntax-check'], { out: quiet, err: quiet, cwd: path.join(DIST, '..') });
  if (code !== 0) throw new Error(`the bundle's syntax check of playbooks/site.yml exited ${code}`);
  writeFileSync(`${CODE_CACHE}.tmp`, script.createCachedData());
  renameSync(`${CODE_CACHE}.tmp`, CODE_CACHE);
}
