/**
 * `hako init --sops`: what a team needs to start on SOPS files with hako: `.hako/secrets.json`,
 * a `.sops.yaml` creation rule for the secrets folder, an encrypted file bound as an
 * environment, `recipients.md` beside it and a short README for the folder. Nothing that
 * exists is overwritten: an existing `.sops.yaml` or SOPS file is used as it is.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HakoError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import { parseRecipient } from '../core/keys/age-recipient.js';
import type { ServiceContext } from './context.js';
import { bindSopsEnvironment } from './environments.js';
import { machineIdentities } from './identities.js';
import { initProject } from './init.js';
import { findProject } from './project.js';
import { refreshRecipientsDocs } from './recipients.js';
import { bindingPathFor } from './sops-env.js';

export interface SopsScaffold {
  env: string;
  /** The SOPS file, relative to the repository root. */
  path: string;
  keyId: string;
  /** Files written (relative to the root), in order. */
  wrote: string[];
  /** Files that existed and were used as they are. */
  kept: string[];
  recipients: string[];
}

const README = `# Secrets

The files here are [SOPS](https://github.com/getsops/sops) files: keys in plain text, every value
encrypted. Each backs a hako environment (see \`.hako/secrets.json\`), so both tools work on them:

    hako ls --env ENV                  # names, never values
    hako run --env ENV -- ./app        # values to a program, nothing on disk
    hako set NAME --env ENV            # one line, mac and lastmodified change
    sops edit FILE / hako sops edit FILE

Who can open them: \`recipients.md\` here, and the age keys of \`.sops.yaml\`. Give someone access
with \`hako recipients add age1… --env ENV\` (they send you \`hako pubkey\`); removing someone makes
a new data key and lists the values to rotate.
`;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function scaffoldSops(ctx: ServiceContext, opts: { env: string; path?: string; age?: string[] }): Promise<SopsScaffold> {
  const init = await initProject(ctx, { environment: false });
  const project = findProject(ctx);
  const wanted = opts.path ?? join(project.root, 'secrets', `${opts.env}.enc.yaml`);
  const rel = bindingPathFor(ctx, project, wanted, opts.env);
  const abs = join(project.root, rel);
  const wrote: string[] = [...init.wrote];
  const kept: string[] = [];
  const userAge = (opts.age ?? []).map((r) => parseRecipient(r).canonical);
  // A creation rule for the folder, unless some .sops.yaml already decides for this file.
  let config: string | null = null;
  for (let dir = dirname(abs); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.sops.yaml'))) {
      config = join(dir, '.sops.yaml');
      break;
    }
    if (dir === project.root || dirname(dir) === dir) break;
  }
  const existed = existsSync(abs);
  let recipients = userAge;
  if (config === null && !existed) {
    if (!recipients.length) {
      const mine = (await machineIdentities(ctx)).identities;
      if (!mine.length)
        throw new HakoError(
          'E_AGE',
          'no age identity on this machine to encrypt the new SOPS file to',
          'make one with hako keygen (sops finds it too), or give recipients with --age age1…',
        );
      recipients = [mine[0]!.recipient];
    }
    const folder = dirname(rel);
    const regex = /\.enc\.(yaml|json|env|ini)$/.test(rel)
      ? `^${folder === '.' ? '' : `${escapeRegex(folder)}/`}.*\\.enc\\.(yaml|json|env|ini)$`
      : `^${escapeRegex(rel)}$`;
    const text =
      '# Who can open the SOPS files of this repository, by path. sops and hako read it;\n' +
      '# hako recipients add/rm keep the age keys in step.\n' +
      'creation_rules:\n' +
      `  - path_regex: ${JSON.stringify(regex)}\n` +
      `    age: ${recipients.join(',')}\n`;
    writeFileAtomic(join(project.root, '.sops.yaml'), text, { mode: 0o644 });
    wrote.push('.sops.yaml');
  } else if (config !== null) kept.push(config.slice(project.root.length + 1));
  // With a rule (found or just written) the rule decides, unless --age was given; an existing file keeps its keys.
  const bound = await bindSopsEnvironment(ctx, opts.env, abs, { age: existed || config === null ? [] : userAge });
  (existed ? kept : wrote).push(rel);
  const readme = join(dirname(abs), 'README.md');
  if (!existsSync(readme)) {
    writeFileAtomic(readme, README, { mode: 0o644 });
    wrote.push(readme.slice(project.root.length + 1));
  }
  await refreshRecipientsDocs(ctx, project);
  const doc = join(dirname(rel), 'recipients.md');
  if (existsSync(join(project.root, doc))) wrote.push(doc);
  return { env: opts.env, path: bound.path, keyId: bound.keyId, wrote, kept, recipients };
}
