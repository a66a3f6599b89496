/**
 * An independent reading of SOPS files, written from the format's description
 * (shared/research/sops.md) for the tests: it shares no code with src/. It finds the age
 * entries, opens the data key with age-encryption, decrypts every `ENC[AES256_GCM,…]` value
 * with the key path as additional data, and checks the MAC (SHA-512 over the leaves in file
 * order, encrypted with `lastmodified` as additional data). YAML and JSON are read with the
 * `yaml` package's node API (which keeps key order), dotenv and INI line by line.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { armor, Decrypter } from 'age-encryption';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';

type Leaf = { path: string[]; value: unknown };

function decryptEnc(text: string, key: Buffer, aad: string): Buffer {
  const m = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/.exec(text);
  if (!m) throw new Error(`not an ENC value: ${text.slice(0, 30)}`);
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2]!, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m[3]!, 'base64'));
  return Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]);
}

function plainBytes(v: unknown): Buffer {
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False');
  if (typeof v === 'number') return Buffer.from(String(v));
  if (typeof v === 'bigint') return Buffer.from(v.toString());
  return Buffer.from(String(v));
}

interface Read {
  docs: Leaf[][];
  meta: Record<string, unknown>;
  ageEncs: string[];
}

function yamlLeaves(text: string): Read {
  const docs = parseAllDocuments(text, { schema: 'core', intAsBigInt: true }) as unknown as { contents: Node | null }[];
  const out: Leaf[][] = [];
  let meta: Record<string, unknown> = {};
  let ageEncs: string[] = [];
  docs.forEach((doc, di) => {
    const leaves: Leaf[] = [];
    const walk = (n: Node | null, path: string[]) => {
      if (n === null || n === undefined) return;
      if (isMap(n)) {
        for (const p of n.items) {
          const k = String((p.key as { value: unknown }).value);
          if (path.length === 0 && k === 'sops') {
            if (di === 0) {
              meta = (p.value as { toJSON(): Record<string, unknown> }).toJSON();
              ageEncs = ((meta['age'] as { enc: string }[] | null) ?? []).map((a) => a.enc);
            }
            continue;
          }
          walk(p.value as Node, [...path, k]);
        }
      } else if (isSeq(n)) for (const i of n.items) walk(i as Node, path);
      else if (isScalar(n)) leaves.push({ path, value: n.value });
    };
    walk(doc.contents, []);
    out.push(leaves);
  });
  return { docs: out, meta, ageEncs };
}

function flatMeta(entries: [string, string][]): Read['meta'] & { ageEncs: string[] } {
  const meta: Record<string, unknown> = {};
  const encs: string[] = [];
  for (const [k, v] of entries) {
    meta[k] = v;
    const m = /^age__list_(\d+)__map_enc$/.exec(k);
    if (m) encs[Number(m[1])] = v;
  }
  return Object.assign(meta, { ageEncs: encs });
}

function dotenvLeaves(text: string): Read {
  const leaves: Leaf[] = [];
  const metaEntries: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    const k = line.slice(0, i);
    const v = line.slice(i + 1).replace(/\\n/g, '\n');
    if (k.startsWith('sops_')) metaEntries.push([k.slice(5), v]);
    else leaves.push({ path: [k], value: v });
  }
  const meta = flatMeta(metaEntries);
  return { docs: [leaves], meta, ageEncs: meta.ageEncs };
}

function iniLeaves(text: string): Read {
  const leaves: Leaf[] = [];
  const metaEntries: [string, string][] = [];
  let section = 'DEFAULT';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      section = line.slice(1, line.indexOf(']'));
      continue;
    }
    const i = line.indexOf('=');
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (section === 'sops') metaEntries.push([k, v.replace(/\\n/g, '\n')]);
    else leaves.push({ path: [section, k], value: v });
  }
  const meta = flatMeta(metaEntries);
  return { docs: [leaves], meta, ageEncs: meta.ageEncs };
}

export function specLeaves(text: string, format: 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary'): Read {
  if (format === 'dotenv') return dotenvLeaves(text);
  if (format === 'ini') return iniLeaves(text);
  return yamlLeaves(text);
}

/** The data key, opened from the file's age entries with an age identity. */
export async function specDataKey(text: string, format: 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary', identity: string): Promise<Buffer> {
  const { ageEncs } = specLeaves(text, format);
  for (const enc of ageEncs) {
    const d = new Decrypter();
    d.addIdentity(identity);
    try {
      return Buffer.from(await d.decrypt(armor.decode(enc)));
    } catch {
      // another recipient's entry
    }
  }
  throw new Error('no age entry opens with this identity');
}

/**
 * Decrypts every value and checks the MAC. Returns the plaintext leaves (as text) by
 * dotted path; throws when a value does not open or the MAC does not match.
 */
export function specDecrypt(
  text: string,
  format: 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary',
  key: Buffer,
): { values: [string, string][]; macOk: true } {
  const { docs, meta } = specLeaves(text, format);
  const macOnly = meta['mac_only_encrypted'] === true || meta['mac_only_encrypted'] === 'true';
  const h = createHash('sha512');
  if (macOnly) h.update(createHash('sha256').update('sops').digest());
  const values: [string, string][] = [];
  for (const leaves of docs) {
    for (const { path, value } of leaves) {
      if (value === null) continue;
      let bytes: Buffer;
      let enc = false;
      if (typeof value === 'string' && value.startsWith('ENC[AES256_GCM,')) {
        bytes = decryptEnc(value, key, `${path.join(':')}:`);
        enc = true;
      } else bytes = plainBytes(value);
      if (!macOnly || enc) h.update(bytes);
      values.push([path.join('.'), bytes.toString('utf8')]);
    }
  }
  const computed = h.digest('hex').toUpperCase();
  const lm = String(meta['lastmodified']);
  const stored = decryptEnc(String(meta['mac']), key, lm.replace(/\.\d+/, '').replace(/\+00:00$/, 'Z')).toString('utf8');
  if (stored !== computed) throw new Error('MAC mismatch');
  return { values, macOk: true };
}
