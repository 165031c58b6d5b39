#!/usr/bin/env node
// The bundle of dist/src/cli/main.js (npm run build): one file to load, so commands start fast.
import { main } from '../dist/src/cli/main.bundle.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
