#!/usr/bin/env node
// Manual control of SSH test fleets.
//
//   node test/fleet/cli.mjs up [N=3] [--name test] [--docker] [--port-base 2201]
//   node test/fleet/cli.mjs down [--name test]
//   node test/fleet/cli.mjs status [--name test]      (no --name: every fleet)
//   node test/fleet/cli.mjs images                     (build images if missing)
//   node test/fleet/cli.mjs ssh HOST [--name test] [--user deploy] [-- command...]
import { spawnSync } from 'node:child_process';
import { ensurePrereqs } from './prereqs.mjs';
import {
  DEFAULT_FLEET_NAME, ensureImages, fleetStatus, listFleets, sshArgs, startFleet, stopFleet,
} from './fleet.mjs';

const USAGE = `usage: node test/fleet/cli.mjs <command> [options]
  up [N]      start (or reuse) a fleet of N hosts (default 3)
                --name NAME       fleet name (default ${DEFAULT_FLEET_NAME})
                --docker          run a Docker engine in every host
                --port-base PORT  first sshd port to try (default 2201)
  down        remove the fleet (--name NAME)
  status      show fleets and their hosts (--name NAME for one)
  images      build the host and app images if missing
  ssh HOST    open a shell (or run the command after --) on a host
                --name NAME  --user USER`;

function parse(argv) {
  const opts = { positional: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      opts.rest = argv.slice(i + 1);
      break;
    } else if (a === '--docker') opts.docker = true;
    else if (a === '--name' || a === '--port-base' || a === '--user') opts[a.slice(2)] = argv[++i];
    else if (a === '-h' || a === '--help') opts.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else opts.positional.push(a);
  }
  return opts;
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  const opts = parse(args);
  if (!cmd || opts.help) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const name = opts.name ?? DEFAULT_FLEET_NAME;
  switch (cmd) {
    case 'up': {
      const count = Number(opts.positional[0] ?? 3);
      const t0 = Date.now();
      await ensurePrereqs();
      await ensureImages();
      const fleet = await startFleet({
        name, count, withDocker: !!opts.docker,
        portBase: opts['port-base'] ? Number(opts['port-base']) : undefined,
      });
      for (const h of fleet.hosts) console.log(`${h.name}\t127.0.0.1:${h.port}\t${h.address}\t${h.container}`);
      console.log(`inventory: ${fleet.inventoryPath}`);
      console.log(`ssh:       node test/fleet/cli.mjs ssh h1 --name ${name}`);
      console.log(`up in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
      return 0;
    }
    case 'down':
      await stopFleet(name);
      console.log(`fleet ${name} removed`);
      return 0;
    case 'status': {
      const names = opts.name ? [opts.name] : await listFleets();
      if (names.length === 0) console.log('no fleets');
      for (const n of names) {
        const st = await fleetStatus(n);
        console.log(`fleet ${n}: ${st.containers.length} container(s)${st.fleet ? `, inventory ${st.fleet.inventoryPath}` : ', no state'}`);
        for (const c of st.containers.sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }))) {
          console.log(`  ${c.host}\t127.0.0.1:${c.port}\t${c.state}${c.ready ? ' ready' : ''}\t${c.status}\t${c.name}`);
        }
      }
      return 0;
    }
    case 'images':
      await ensurePrereqs();
      await ensureImages();
      return 0;
    case 'ssh': {
      const host = opts.positional[0];
      const st = await fleetStatus(name);
      const h = st.fleet?.hosts.find((x) => x.name === host);
      if (!st.fleet || !h) throw new Error(`no host ${host} in fleet ${name}`);
      const argv = sshArgs(st.fleet, h, { user: opts.user });
      if (opts.rest.length === 0) argv.unshift('-t');
      const r = spawnSync('ssh', [...argv, ...opts.rest], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
