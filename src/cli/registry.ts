/** Every command hako has, in the order `hako --help` lists them. */
import type { CommandSpec } from '../commands/command.js';
import { initCommands } from '../commands/init.js';
import { envCommands } from '../commands/env.js';
import { secretCommands } from '../commands/secrets.js';
import { transferCommands } from '../commands/transfer.js';
import { keyCommands } from '../commands/key.js';
import { recipientCommands } from '../commands/recipients.js';
import { identityCommands } from '../commands/identity.js';
import { typegenCommands } from '../commands/typegen.js';
import { manifestCommands } from '../commands/manifest.js';
import { runCommands } from '../commands/run.js';
import { completionCommands } from '../commands/completion.js';
import { versionCommands } from '../commands/version.js';
import { doctorCommands } from '../commands/doctor.js';

export const COMMANDS: readonly CommandSpec[] = [
  ...initCommands,
  ...secretCommands,
  ...manifestCommands,
  ...runCommands,
  ...transferCommands,
  ...envCommands,
  ...keyCommands,
  ...recipientCommands,
  ...identityCommands,
  ...typegenCommands,
  ...doctorCommands,
  ...completionCommands,
  ...versionCommands,
];
