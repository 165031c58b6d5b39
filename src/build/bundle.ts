import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Build step (src/build/index.ts): bundle the CLI and the pure-JavaScript libraries it always
 * needs into one file, dist/src/cli/main.bundle.js. Node then reads and compiles one file
 * instead of resolving some 250, which is most of a command's start-up. The bundle sits where
 * main.js is, so paths it builds from import.meta.url still hold.
 */

const DIST = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Left out of the bundle: native addons, and libraries loaded only when a command needs them
 * (createRequire or import() at the point of use), so they stay off the start-up path.
 */
const EXTERNAL = ['ssh2', 'better-sqlite3', 'dockerode', 'listr2', 'diff', 'cron-parser'];

export async function bundleCli(): Promise<void> {
  await build({
    entryPoints: [`${DIST}src/cli/main.js`],
    outfile: `${DIST}src/cli/main.bundle.js`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // Smaller source compiles faster; names are kept so errors and stack traces read the same.
    minify: true,
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
    // The CommonJS libraries inside call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  });
}
