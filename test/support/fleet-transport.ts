import type { Fleet } from '../fleet/fleet.mjs';
import { connectionSpecFromVars } from '../../src/transport/connection-spec.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';

/** An SSH transport to one fleet host, as an inventory entry for it would give, with strict host keys. */
export function fleetTransport(fleet: Fleet, hostName: string, user: string = fleet.user): Transport {
  const host = fleet.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`fleet ${fleet.name} has no host ${hostName}`);
  return new SshTransport(
    connectionSpecFromVars(host.name, {
      ansible_host: '127.0.0.1',
      ansible_port: host.port,
      ansible_user: user,
      ansible_ssh_private_key_file: fleet.keyPath,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes`,
    }),
    { sshConfigFile: false },
  );
}
