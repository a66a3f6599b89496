/** hako doctor */
import { shortRecipient } from '../core/keys/age-recipient.js';
import { runDoctor, type DoctorReport } from '../services/doctor.js';
import { flag, type CommandSpec } from './command.js';
import { jsonOption } from './options.js';
import { json, table } from './table.js';
import { VERSION } from './version.js';

function accessText(a: DoctorReport['facts']['environments'][number]['access']): string {
  if (a.opens === null) return `passphrase from ${a.label}, not checked`;
  if (a.opens) return `yes (${a.kind === 'key-file' ? `key file ${a.label}` : a.label})`;
  return a.code === 'E_NO_KEY' ? 'no (no key here)' : `no: ${a.code}`;
}

function keychainText(k: DoctorReport['facts']['keychain']): string {
  if (!k.usable) return `none usable here (${k.reason ?? 'no answer'})`;
  if (k.durable === false) return `${k.backend} only (memory only, gone at reboot; --keychain needs --keychain-store kernel)`;
  return `${k.backend} answers`;
}

function text(r: DoctorReport): string {
  const f = r.facts;
  const out: string[] = [`hako ${VERSION} (node ${process.version}, ${process.platform} ${process.arch})`, ''];
  out.push('checkout');
  out.push(`  folder       ${f.cwd}`);
  out.push(`  git          ${f.gitRoot ?? 'not inside a git repository'}`);
  if (f.project) {
    const envs = f.file ? `${f.file.environments.size} environment${f.file.environments.size === 1 ? '' : 's'}` : 'unreadable';
    out.push(`  project      ${f.project.file} (${envs})`);
  } else out.push('  project      none found here or above');
  out.push('', 'machine');
  out.push(
    `  key folder   ${f.home.path ?? '(unusable)'}${f.home.origin === 'HAKO_HOME' ? ' (from HAKO_HOME)' : ''}; ${f.home.keyFiles} key file${f.home.keyFiles === 1 ? '' : 's'}`,
  );
  out.push(`  key lookup   ${f.keyLookup.join(' → ')}`);
  out.push(`  keychain     ${keychainText(f.keychain)}`);
  out.push(`  variables    ${f.variables.length ? f.variables.join(', ') : 'no key variables set'}`);
  const ids = f.identities?.identities ?? [];
  if (ids.length === 0 && (f.identities?.locked.length ?? 0) === 0) out.push('  identities   no age identity found');
  for (const [i, id] of ids.entries()) {
    out.push(
      `  ${i === 0 ? 'identities ' : '           '}  ${shortRecipient(id.recipient)} (${id.kind}, ${id.origin})${id.opens.length ? `: opens ${id.opens.join(', ')}` : ''}`,
    );
  }
  for (const l of f.identities?.locked ?? []) out.push(`               ${shortRecipient(l.recipient)} (${l.origin}, passphrase-protected)`);
  if (f.environments.length) {
    out.push('', 'environments');
    const rows = [['  ENV', 'KEY ID', 'KEY', 'SECRETS', 'RECIPIENTS', 'OPENS HERE']];
    for (const e of f.environments) {
      rows.push([`  ${e.env}`, e.keyId, e.keyKind, String(e.secrets), String(e.recipients), accessText(e.access)]);
    }
    out.push(table(rows).trimEnd());
  }
  const problems = r.findings.filter((x) => x.severity === 'problem').length;
  const warnings = r.findings.filter((x) => x.severity === 'warning').length;
  if (r.findings.length) {
    out.push('', 'findings');
    for (const x of r.findings) {
      out.push(`  ${x.severity}: ${x.message}`);
      if (x.fix) out.push(`    fix: ${x.fix}`);
    }
  }
  out.push(
    '',
    problems || warnings
      ? `${problems} problem${problems === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
      : 'no problems found',
  );
  return `${out.join('\n')}\n`;
}

export const doctorCommands: CommandSpec[] = [
  {
    words: ['doctor'],
    summary: 'say what state this checkout and this machine are in, and how to fix what is wrong',
    usage: 'hako doctor [--json]',
    description:
      'Looks, never asks and never writes a file: the project file, its environments and whether\n' +
      'each opens here and by which source, the key folder, the order keys are looked for in\n' +
      '(HAKO_KEY, key file, keychain, age identities, passphrase), which OS keychain answers here\n' +
      '(Secret Service, kernel keyring, or none; asked without a prompt, 3 s at most), the key\n' +
      'variables set (names only), the age identities found, and every problem with a fix. Warns\n' +
      'when an environment has a single way in (a random key with no recipients and no passphrase).\n' +
      'Exits 1 when there is a problem.',
    options: { json: jsonOption },
    examples: ['hako doctor', 'hako doctor --json | jq ".findings[] | select(.severity == \\"problem\\")"'],
    async run(ctx, args) {
      const r = await runDoctor(ctx);
      const f = r.facts;
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            hako: VERSION,
            node: process.version,
            cwd: f.cwd,
            git_root: f.gitRoot,
            project: f.project ? { root: f.project.root, file: f.project.file, readable: f.file !== null } : null,
            key_folder: { path: f.home.path, from: f.home.origin, key_files: f.home.keyFiles },
            key_lookup: f.keyLookup,
            keychain: {
              usable: f.keychain.usable,
              backend: f.keychain.backend,
              store: f.keychain.store,
              durable: f.keychain.durable,
              reason: f.keychain.reason,
            },
            variables: f.variables,
            identities: (f.identities?.identities ?? []).map((i) => ({
              recipient: i.recipient,
              kind: i.kind,
              from: i.origin,
              opens: i.opens,
            })),
            environments: f.environments.map((e) => ({
              env: e.env,
              key_id: e.keyId,
              key: e.keyKind,
              secrets: e.secrets,
              recipients: e.recipients,
              opens: e.access.opens,
              via: e.access.opens === false ? null : e.access.kind,
              source: e.access.opens === false ? null : e.access.label,
            })),
            findings: r.findings.map((x) => ({ check: x.check, severity: x.severity, message: x.message, fix: x.fix ?? null })),
          }),
        );
      } else ctx.io.stdout(text(r));
      return { code: r.findings.some((x) => x.severity === 'problem') ? 1 : 0 };
    },
  },
];
