/**
 * Case 3, passphrase derivation: hako's Argon2id (m=64 MiB, t=3, p=4) against Debian's
 * `argon2` CLI (the reference C implementation) on the same passphrase, salt and parameters.
 *
 * hako's derivation is measured inside the real command: `hako get` in an environment whose
 * key comes from HAKO_PASSPHRASE, minus the same `hako get` in an environment whose key is
 * in a key file. What is left is what a passphrase costs a command: loading the argon2
 * module and deriving. The CLI's time is its whole process. Before timing, the CLI's output
 * is checked to be the very key hako derived, so both do the same work.
 */
import { spawnSync } from 'node:child_process';
import { HAKO_BIN } from '../lib/tools.mjs';
import { hyperfine } from '../lib/hyperfine.mjs';
import { ms, row } from '../lib/report.mjs';

const TARGET = 1.3;
// argon2 CLI: -m is log2 of KiB (16 → 65536 KiB = 64 MiB), -l bytes of output, -r raw hex.
const argonArgs = (salt) => `'${salt}' -id -t 3 -m 16 -p 4 -l 32 -r`;

export async function argon2(fx) {
  const p = fx.passphraseProject;
  const salt = `hako:v1:${p.keyId}`;
  const check = spawnSync('sh', ['-c', `printf %s "$PW" | argon2 ${argonArgs(salt)}`], {
    env: { PATH: process.env.PATH, PW: fx.passphrase },
    encoding: 'utf8',
  });
  if (check.status !== 0 || check.stdout.trim() !== p.derivedKey.toString('hex')) {
    throw new Error('the argon2 CLI did not derive the key hako derived: parameters differ');
  }

  const cmd = `${HAKO_BIN} get SECRET_00005 --env bench`;
  const withPass = hyperfine([{ name: 'x', cmd }], { cwd: p.dir, env: fx.runEnv({ HAKO_PASSPHRASE: fx.passphrase }) });
  const withFile = hyperfine([{ name: 'x', cmd }], { cwd: fx.hako[10].dir, env: fx.runEnv() });
  const cli = hyperfine([{ name: 'x', cmd: `printf %s "$PW" | argon2 ${argonArgs(salt)}` }], {
    env: { PATH: process.env.PATH, PW: fx.passphrase },
    shell: true,
  });
  const kdf = withPass.x.median - withFile.x.median;
  return {
    rows: [
      row({
        id: '3.1',
        what: 'Argon2id m=64MiB t=3 p=4: hako ÷ argon2 CLI',
        hako: `${ms(kdf)} (get ${ms(withPass.x.median)} − ${ms(withFile.x.median)})`,
        peer: `argon2: ${ms(cli.x.median)}`,
        ratio: kdf / cli.x.median,
        check: { value: kdf / cli.x.median, op: '≤', target: TARGET, unit: '×' },
        raw: { hakoGetPassphrase: withPass.x, hakoGetKeyFile: withFile.x, argon2Cli: cli.x },
      }),
    ],
  };
}
