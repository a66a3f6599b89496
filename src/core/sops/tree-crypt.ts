/**
 * Encrypting and decrypting every leaf of a SOPS document, and the MAC over them.
 *
 * Additional data for a value = its mapping keys from the document root joined with `:`,
 * plus `:` (list positions are not part of it: every item of list `a.b` uses `a:b:`);
 * a comment uses the path of the mapping or list it is in.
 *
 * The MAC is SHA-512 over the bytes of every non-null leaf in file order, documents one
 * after the other, with no separators (comments are not part of it); with
 * `mac_only_encrypted`, only encrypted leaves count and the hash starts with SHA-256("sops"),
 * so the two kinds of MAC never coincide. It is written as upper-case hex, encrypted as a
 * string with the file's `lastmodified` (RFC 3339, seconds, `Z`) as additional data.
 */
import { createHash } from 'node:crypto';
import { CryptRules } from './crypt-rules.js';
import { leafBytes } from './scalar-bytes.js';
import { isComment, mapLeaves, type SopsComment, type SopsLeaf, type SopsMap } from './tree.js';
import { ValueCipher, ValueDecryptError, isEncryptedValue } from './value-cipher.js';

const MAC_ONLY_ENCRYPTED_INIT = createHash('sha256').update('sops').digest();

export function aadOf(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

export interface TreeCryptOptions {
  rules: CryptRules;
  macOnlyEncrypted: boolean;
  /** The binary store: `str` values are bytes, which need not be UTF-8. */
  binary?: boolean;
}

export class SopsDecryptError extends Error {
  constructor(
    message: string,
    readonly path: readonly string[],
  ) {
    super(message);
  }
}

function newMac(opts: TreeCryptOptions) {
  const h = createHash('sha512');
  if (opts.macOnlyEncrypted) h.update(MAC_ONLY_ENCRYPTED_INIT);
  return h;
}

/** Decrypts every document; returns the plaintext documents and the MAC computed over them. */
export function decryptDocuments(docs: readonly SopsMap[], cipher: ValueCipher, opts: TreeCryptOptions): { docs: SopsMap[]; mac: string } {
  const h = newMac(opts);
  const out = docs.map((doc) =>
    mapLeaves(doc, (leaf, path, comments) => {
      const comment = isComment(leaf);
      const encrypted = opts.rules.shouldEncrypt(path, comments, comment);
      let v: Exclude<SopsLeaf, null> | SopsComment = leaf as Exclude<SopsLeaf, null> | SopsComment;
      if (encrypted) {
        if (comment) {
          try {
            const c = cipher.decrypt((leaf as SopsComment).text, aadOf(path));
            v = isComment(c) ? { ...c, ...((leaf as SopsComment).inline ? { inline: true } : {}) } : (leaf as SopsComment);
          } catch {
            v = leaf as SopsComment; // a comment older SOPS versions left in plaintext
          }
        } else if (typeof leaf === 'string') {
          try {
            v = cipher.decrypt(leaf, aadOf(path), opts.binary) as Exclude<SopsLeaf, null>;
          } catch (err) {
            throw new SopsDecryptError(err instanceof ValueDecryptError ? err.message : 'cannot decrypt', path);
          }
        } else {
          throw new SopsDecryptError('a value that should be encrypted is not (it is not a string)', path);
        }
      }
      if (!comment && (!opts.macOnlyEncrypted || encrypted)) h.update(leafBytes(v as Exclude<SopsLeaf, null>));
      return v;
    }),
  );
  return { docs: out, mac: h.digest('hex').toUpperCase() };
}

/** Encrypts every document (unchanged values keep their ciphertext); returns them and the MAC. */
export function encryptDocuments(docs: readonly SopsMap[], cipher: ValueCipher, opts: TreeCryptOptions): { docs: SopsMap[]; mac: string } {
  const h = newMac(opts);
  const out = docs.map((doc) =>
    mapLeaves(doc, (leaf, path, comments) => {
      const comment = isComment(leaf);
      const encrypted = opts.rules.shouldEncrypt(path, comments, comment);
      if (!comment && (!opts.macOnlyEncrypted || encrypted)) h.update(leafBytes(leaf as Exclude<SopsLeaf, null>));
      if (!encrypted) return leaf;
      const text = cipher.encrypt(leaf as Exclude<SopsLeaf, null> | SopsComment, aadOf(path));
      if (comment) {
        if (opts.rules.matchesEncryptedComment(text)) throw new Error('unencrypted_comment_regex matches an encrypted comment');
        return { type: 'comment', text, ...((leaf as SopsComment).inline ? { inline: true } : {}) };
      }
      return text;
    }),
  );
  return { docs: out, mac: h.digest('hex').toUpperCase() };
}

/** Go's time.Parse(RFC3339) then Format(RFC3339): seconds precision, UTC as `Z`. */
export function normaliseLastModified(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return null;
  const zone = m[8]!.toUpperCase() === 'Z' || m[8] === '+00:00' || m[8] === '-00:00' ? 'Z' : m[8]!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`;
}

/** `lastmodified` for a write now. */
export function lastModifiedNow(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function encryptMac(mac: string, lastModified: string, cipher: ValueCipher): string {
  const aad = normaliseLastModified(lastModified);
  if (!aad) throw new Error('lastmodified is not an RFC 3339 time');
  return cipher.encrypt(mac, aad);
}

/** The MAC stored in the file, decrypted; null when there is none. Throws when it does not open. */
export function decryptMac(stored: string | undefined, lastModified: string, cipher: ValueCipher): string | null {
  if (!stored) return null;
  const aad = normaliseLastModified(lastModified);
  if (!aad) throw new Error('lastmodified is not an RFC 3339 time');
  if (!isEncryptedValue(stored)) throw new ValueDecryptError('the MAC is not an encrypted value');
  const v = cipher.decrypt(stored, aad);
  if (typeof v !== 'string') throw new ValueDecryptError('the MAC is not a string');
  return v;
}
