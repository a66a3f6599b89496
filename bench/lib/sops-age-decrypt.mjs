// The peer of the SOPS decrypt case: the npm `sops-age` package decrypting a file (it does
// not check the MAC). argv: FILE TYPE; the age identity comes from SOPS_AGE_KEY.
import { readFileSync } from 'node:fs';
import { decryptSops } from 'sops-age';

const [file, fileType] = process.argv.slice(2);
const out = await decryptSops(readFileSync(file, 'utf8'), { fileType, secretKey: process.env.SOPS_AGE_KEY });
process.stdout.write(`${Object.keys(out).length}\n`);
