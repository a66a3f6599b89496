/** hako keychain ls | rm: the keys and age identities hako keeps in the OS keychain. */
import { HakoError } from '../core/errors.js';
import { listKeychain, removeFromKeychain } from '../services/keychain.js';
import { flag, type CommandSpec } from './command.js';
import { jsonOption } from './options.js';
import { json, table } from './table.js';

export const keychainCommands: CommandSpec[] = [
  {
    words: ['keychain', 'ls'],
    summary: 'list the keys and age identities hako keeps in the OS keychain, and whether each is still there',
    usage: 'hako keychain ls [--json]',
    description:
      'Keys go to the keychain with --keychain on env add, key import, key rotate and keygen. hako records\n' +
      'each one (its id and store, never the key) in $HAKO_HOME/keychain/ and looks only there. STORE is\n' +
      'the backend that holds it: Secret Service, kernel keyring (Linux; gone at reboot), macOS Keychain,\n' +
      'Windows Credential Manager.',
    options: { json: jsonOption },
    examples: ['hako keychain ls', 'hako keychain ls --json'],
    async run(ctx, args) {
      const entries = await listKeychain(ctx);
      if (flag(args, 'json')) {
        ctx.io.stdout(
          json(
            entries.map((e) => ({
              kind: e.kind,
              id: e.id,
              ...(e.kind === 'key' ? { env: e.what } : { recipient: e.what }),
              store: e.store,
              backend: e.backend,
              present: e.present,
              problem: e.problem ?? null,
            })),
          ),
        );
        return;
      }
      if (entries.length === 0) {
        ctx.io.stderr('hako: nothing in the keychain; store a key there with --keychain (env add, key import, key rotate, keygen)\n');
        return;
      }
      ctx.io.stdout(
        table([
          ['KIND', 'ID', 'FOR', 'STORE', 'STATE'],
          ...entries.map((e) => [
            e.kind === 'key' ? 'env key' : 'age identity',
            e.id,
            e.kind === 'key' ? e.what : `${e.what.slice(0, 20)}…`,
            e.backend,
            e.present === true ? 'present' : e.present === false ? 'MISSING' : 'unreachable',
          ]),
        ]),
      );
      for (const e of entries) if (e.problem) ctx.notice(`${e.id}: ${e.problem}`);
    },
  },
  {
    words: ['keychain', 'rm'],
    summary: 'delete a key or an age identity that hako keeps in the OS keychain',
    usage: 'hako keychain rm ID --yes',
    description:
      "ID is a key id or an identity id from hako keychain ls (or the identity's recipient). The entry\n" +
      'is deleted from the keychain, then its record. If this was the only copy of a key, the\n' +
      'environments it opens cannot be opened on this machine any more: export it first if in doubt.',
    options: { yes: { type: 'boolean', short: 'y', help: 'confirm the deletion' }, json: jsonOption },
    positionals: [1, 1],
    examples: ['hako keychain rm 0123456789abcdef --yes'],
    async run(ctx, args) {
      const id = args.positionals[0]!;
      if (!flag(args, 'yes')) {
        throw new HakoError(
          'E_USAGE',
          'deleting a key from the keychain may delete its only copy',
          'export it first if in doubt (hako key export), then confirm with --yes',
        );
      }
      const r = await removeFromKeychain(ctx, id);
      if (flag(args, 'json')) {
        ctx.io.stdout(json({ kind: r.kind, id: r.id, backend: r.backend, existed: r.existed }));
        return;
      }
      ctx.io.stderr(
        `hako: ${r.existed ? 'deleted' : 'forgot'} ${r.kind === 'key' ? 'key' : 'age identity'} ${r.id} ${r.existed ? 'from' : '(it was already gone from)'} the ${r.backend}\n`,
      );
    },
  },
];
