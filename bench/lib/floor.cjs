'use strict';
// The floor under `hako run`: the least any Node program must do to run a child with
// decrypted values and relay its output. It loads node:crypto, derives a key with HKDF and
// runs one AES-GCM decryption, reads a file, spawns the child with piped stdout and stderr
// and waits for it. No argument parsing, no key lookup, no redaction: hako's own work is
// what `hako run` costs above this.
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');

const key = Buffer.from(crypto.hkdfSync('sha256', crypto.randomBytes(32), Buffer.alloc(0), 'floor', 32));
const nonce = crypto.randomBytes(12);
const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
const body = Buffer.concat([cipher.update('value'), cipher.final()]);
const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
decipher.setAuthTag(cipher.getAuthTag());
Buffer.concat([decipher.update(body), decipher.final()]);
readFileSync(process.argv[2] ?? __filename);

const child = spawn(process.argv[3] ?? 'true', [], { stdio: ['inherit', 'pipe', 'pipe'] });
child.stdout.pipe(process.stdout);
child.stderr.pipe(process.stderr);
child.on('exit', (code) => {
  process.exitCode = code ?? 1;
});
