/**
 * `hako agent init` and `hako agent unit`: set up a state directory (0700) with a device key
 * (0600), an age identity for this server (0600) and an empty store; print a systemd unit.
 * Init never replaces an existing key or identity: running it again on a set-up directory
 * only reports the recipient.
 */
import { existsSync } from 'node:fs';
import { readDeviceKey, createDeviceKey } from './device-key.js';
import { createServerIdentity, readServerIdentity } from './server-identity.js';
import { ensureStateDir } from './state-dir.js';
import { AgentStore } from './store.js';

export interface InitResult {
  dir: string;
  recipient: string;
  created: boolean;
}

export async function initAgentDir(dir: string): Promise<InitResult> {
  const paths = ensureStateDir(dir);
  const fresh = !existsSync(paths.deviceKey) && !existsSync(paths.identity) && !existsSync(paths.db);
  if (!existsSync(paths.deviceKey)) createDeviceKey(paths.deviceKey);
  const id = existsSync(paths.identity) ? await readServerIdentity(paths.identity) : await createServerIdentity(paths.identity);
  const key = readDeviceKey(paths.deviceKey);
  const store = await AgentStore.open(paths.db, key, { create: true });
  key.fill(0);
  store.close();
  return { dir: paths.dir, recipient: id.recipient, created: fresh };
}

export interface UnitOptions {
  user: string;
  dir: string;
  /** The command that starts hako, e.g. /usr/bin/hako or "/usr/bin/node /opt/hako/build/cli/hako.cjs". */
  exec: string;
}

/** A systemd unit for the agent. */
export function systemdUnit(o: UnitOptions): string {
  return `# hako agent: keeps this server's secrets encrypted and runs its apps with them.
# Install: save as /etc/systemd/system/hako-agent.service, then
#   systemctl daemon-reload && systemctl enable --now hako-agent
[Unit]
Description=hako agent (secrets and app instances)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
Environment=HAKO_AGENT_DIR=${o.dir}
ExecStart=${o.exec} agent run
# The agent drains its apps on SIGTERM; whatever is left when it stops (or dies) is killed
# with it, since every instance lives in this unit's control group.
KillMode=mixed
TimeoutStopSec=90
Restart=always
RestartSec=1
UMask=0077
${o.dir.startsWith('/var/lib/') ? `StateDirectory=${o.dir.slice('/var/lib/'.length)}\nStateDirectoryMode=0700\n` : ''}NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
LimitCORE=0

[Install]
WantedBy=multi-user.target
`;
}
