/** hako keygen | pubkey | whoami: this machine's age identities. */
import { jsonOption, keychainOptions, keychainRequest } from './options.js';
import { shortRecipient } from '../core/keys/age-recipient.js';
import { generateIdentity, publicKeys, whoAmI } from '../services/identities.js';
import { flag, str, type CommandSpec } from './command.js';
import { json, table } from './table.js';

export const identityCommands: CommandSpec[] = [
  {
    words: ['keygen'],
    summary: 'make an age identity for this machine and print its recipient',
    usage: 'hako keygen [--out PATH | --keychain [--keychain-store STORE]] [--pq]',
    description:
      "Writes a new age identity in age-keygen's format, by default to the sops keys file\n" +
      '($XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt), so one identity\n' +
      'serves sops and hako. Never overwrites a file; the file is mode 0600. With --keychain the\n' +
      'identity is kept in the OS keychain instead (hako finds it there; sops does not). Prints the\n' +
      'public recipient: send it to a teammate, who runs hako recipients add.',
    options: {
      out: { type: 'string', label: 'PATH', help: 'write the identity here instead', path: true },
      ...keychainOptions,
      keychain: { type: 'boolean', help: 'keep the identity in the OS keychain instead of a file' },
      pq: { type: 'boolean', help: 'a post-quantum hybrid identity (age1pq1…; needs age >= 1.3 to use with the age CLI)' },
      json: jsonOption,
    },
    examples: [
      'hako keygen',
      'hako keygen --out ./ci-identity.txt   # for a CI runner: store the file in its secret store',
      'hako keygen --keychain                # in the macOS Keychain / Secret Service',
    ],
    async run(ctx, args) {
      const out = str(args, 'out');
      const keychain = keychainRequest(args);
      const r = await generateIdentity(ctx, {
        ...(out !== undefined ? { out } : {}),
        ...(keychain ? { keychain } : {}),
        pq: flag(args, 'pq'),
      });
      if (flag(args, 'json')) {
        ctx.io.stdout(json({ recipient: r.recipient, kind: r.kind, path: r.path }));
        return;
      }
      ctx.io.stderr(
        keychain
          ? `hako: stored a new ${r.kind} identity in the ${r.path}\n`
          : `hako: wrote a new ${r.kind} identity to ${r.path} (mode 0600); keep it private\n`,
      );
      ctx.io.stderr('hako: its recipient (public, share it freely):\n');
      ctx.io.stdout(`${r.recipient}\n`);
    },
  },
  {
    words: ['pubkey'],
    summary: "print the recipients of this machine's age identities",
    usage: 'hako pubkey [--json]',
    description: 'One recipient per line, in the order identities are looked for (see hako whoami).',
    options: { json: jsonOption },
    examples: ['hako pubkey', 'hako pubkey | head -1 | pbcopy'],
    async run(ctx, args) {
      const set = await publicKeys(ctx);
      const all = [
        ...set.identities.map((i) => ({ recipient: i.recipient, kind: i.kind, from: i.origin, locked: false })),
        ...set.locked.map((l) => ({ recipient: l.recipient, kind: 'ssh-ed25519', from: l.origin, locked: true })),
      ];
      for (const p of set.problems) ctx.notice(`warning: ${p.message}`);
      if (flag(args, 'json')) ctx.io.stdout(json(all));
      else ctx.io.stdout(all.map((a) => `${a.recipient}\n`).join(''));
    },
  },
  {
    words: ['whoami'],
    summary: "this machine's age identities, where each comes from, and which environments each opens",
    usage: 'hako whoami [--json]',
    description:
      'Identities are looked for in this order: HAKO_AGE_KEY, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,\n' +
      'SOPS_AGE_KEY_CMD, the sops keys file, identities hako keeps in the OS keychain (hako keygen\n' +
      '--keychain), SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519.\n' +
      'Problems (a key file others can read, a failing command, a malformed identity) are listed.',
    options: { json: jsonOption },
    examples: ['hako whoami', 'hako whoami --json | jq ".identities[].opens"'],
    async run(ctx, args) {
      const w = await whoAmI(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json({
            identities: w.identities.map((i) => ({
              recipient: i.recipient,
              kind: i.kind,
              from: i.origin,
              opens: i.opens,
              broken: i.broken,
            })),
            locked: w.locked.map((l) => ({ recipient: l.recipient, from: l.origin, recipient_of: l.recipientOf })),
            skipped: w.skipped.map((s) => ({ from: s.origin, reason: s.reason })),
            problems: w.problems,
            looked: w.looked,
          }),
        );
        return;
      }
      if (w.identities.length === 0 && w.locked.length === 0) {
        ctx.io.stdout(`no age identity on this machine (looked at: ${w.looked.join(', ')})\nmake one with: hako keygen\n`);
      } else {
        const rows = [['IDENTITY', 'KIND', 'FROM', w.inProject ? 'OPENS' : '']];
        for (const i of w.identities)
          rows.push([shortRecipient(i.recipient), i.kind, i.origin, w.inProject ? i.opens.join(',') || '-' : '']);
        for (const l of w.locked)
          rows.push([
            shortRecipient(l.recipient),
            'ssh-ed25519',
            l.origin,
            w.inProject ? `(passphrase-protected; recipient of: ${l.recipientOf.join(',') || '-'})` : '(passphrase-protected)',
          ]);
        ctx.io.stdout(table(rows));
        for (const i of w.identities)
          for (const b of i.broken) ctx.io.stdout(`${shortRecipient(i.recipient)}: '${b.env}' does not open: ${b.reason}\n`);
      }
      for (const s of w.skipped) ctx.io.stdout(`skipped ${s.origin}: ${s.reason}\n`);
      for (const p of w.problems) {
        ctx.notice(`error: ${p.message}`);
        if (p.hint) ctx.notice(`hint: ${p.hint}`);
      }
      if (w.problems.length > 0) return { code: 1 };
    },
  },
];
