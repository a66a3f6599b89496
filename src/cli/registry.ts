/** Every command hako has, in the order `hako --help` lists them. */
import type { CommandSpec } from '../commands/command.js';
import { initCommands } from '../commands/init.js';
import { envCommands } from '../commands/env.js';
import { secretCommands } from '../commands/secrets.js';
import { transferCommands } from '../commands/transfer.js';
import { keyCommands } from '../commands/key.js';
import { keychainCommands } from '../commands/keychain.js';
import { instanceCommands } from '../commands/instance.js';
import { packageCommands } from '../commands/package.js';
import { recipientCommands } from '../commands/recipients.js';
import { identityCommands } from '../commands/identity.js';
import { typegenCommands } from '../commands/typegen.js';
import { manifestCommands } from '../commands/manifest.js';
import { runCommands } from '../commands/run.js';
import { trustCommands } from '../commands/trust.js';
import { ciCommands } from '../commands/ci.js';
import { pushCommands } from '../commands/push.js';
import { mirrorCommands } from '../commands/mirror.js';
import { sopsCommands } from '../commands/sops.js';
import { agentCommands } from '../commands/agent.js';
import { gitCommands } from '../commands/git.js';
import { serverCommands } from '../commands/servers.js';
import { uiCommands } from '../commands/ui.js';
import { doctorCommands } from '../commands/doctor.js';
import { completionCommands } from '../commands/completion.js';
import { versionCommands } from '../commands/version.js';

export const COMMANDS: readonly CommandSpec[] = [
  ...initCommands,
  ...secretCommands,
  ...manifestCommands,
  ...runCommands,
  ...instanceCommands,
  ...packageCommands,
  ...ciCommands,
  ...pushCommands,
  ...mirrorCommands,
  ...transferCommands,
  ...envCommands,
  ...keyCommands,
  ...keychainCommands,
  ...recipientCommands,
  ...trustCommands,
  ...gitCommands,
  ...identityCommands,
  ...typegenCommands,
  ...sopsCommands,
  ...agentCommands,
  ...serverCommands,
  ...uiCommands,
  ...doctorCommands,
  ...completionCommands,
  ...versionCommands,
];
