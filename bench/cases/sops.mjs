/**
 * Case 6, SOPS files.
 * 6.1: decrypting a 1,000-key YAML file: `hako sops decrypt` (which also checks the MAC)
 *      against the npm `sops-age` package (which does not), both as a fresh Node process.
 * 6.2: `hako sops exec-env FILE true` start-up against `hako run -- true` with the same
 *      1,000 secrets, both through /bin/sh as exec-env runs its command.
 * The SOPS fixtures are written with the library in build/src (the codec hako uses).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { HAKO_BIN, REPO_ROOT } from '../lib/tools.mjs';
import { hyperfine } from '../lib/hyperfine.mjs';
import { ms, row } from '../lib/report.mjs';

const lib = (p) => import(join(REPO_ROOT, 'build', 'src', p));

async function makeSopsFiles(root, secrets) {
  const { ageWrap } = await lib('core/sops/age-master-key.js');
  const { newMetadata, writeSopsFile } = await lib('core/sops/sops-file.js');
  const { ValueCipher } = await lib('core/sops/value-cipher.js');
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const dataKey = new Uint8Array(randomBytes(32));
  const md = newMetadata([[await ageWrap(recipient, recipient, dataKey)]]);
  const doc = { type: 'map', items: [...secrets].map(([key, value]) => ({ key, value })) };
  const out = {};
  for (const kind of ['yaml', 'dotenv']) {
    const path = join(root, kind === 'yaml' ? 'secrets.enc.yaml' : 'secrets.enc.env');
    writeFileSync(path, writeSopsFile({ kind, docs: [doc], metadata: md, cipher: new ValueCipher(dataKey) }));
    out[kind] = path;
  }
  return { identity, ...out };
}

export async function sops(fx) {
  const project = fx.hako[1000];
  const files = await makeSopsFiles(fx.root, project.secrets);
  const env = fx.runEnv({ SOPS_AGE_KEY: files.identity });
  const dec = hyperfine(
    [
      { name: 'hako', cmd: `${process.execPath} ${HAKO_BIN} sops decrypt ${files.yaml}` },
      { name: 'peer', cmd: `${process.execPath} ${join(REPO_ROOT, 'bench', 'lib', 'sops-age-decrypt.mjs')} ${files.yaml} yaml` },
    ],
    { cwd: fx.root, env },
  );
  const start = hyperfine(
    [
      { name: 'execEnv', cmd: `${process.execPath} ${HAKO_BIN} sops exec-env ${files.dotenv} true` },
      { name: 'run', cmd: `${process.execPath} ${HAKO_BIN} run --env bench -- /bin/sh -c true` },
    ],
    { cwd: project.dir, env },
  );
  const speedup = dec.peer.median / dec.hako.median;
  const startRatio = start.execEnv.median / start.run.median;
  return {
    rows: [
      row({
        id: '6.1',
        what: 'SOPS decrypt, 1,000-key YAML: sops-age ÷ hako (hako checks the MAC)',
        hako: ms(dec.hako.median),
        peer: `sops-age: ${ms(dec.peer.median)}`,
        ratio: speedup,
        check: { value: speedup, op: '≥', target: 5, unit: '×' },
        raw: dec,
      }),
      row({
        id: '6.2',
        what: 'start-up, 1,000 secrets: hako sops exec-env ÷ hako run',
        hako: `${ms(start.execEnv.median)}`,
        peer: `hako run: ${ms(start.run.median)}`,
        ratio: startRatio,
        check: { value: startRatio, op: '≤', target: 1.1, unit: '×' },
        raw: start,
      }),
    ],
  };
}
