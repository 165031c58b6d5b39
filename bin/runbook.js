#!/usr/bin/env node
// The CLI from its bundle and V8 code cache (npm run build): one file, no parse, fast start.
import { startCli } from '../dist/src/cli/start.js';
startCli(process.argv.slice(2));
