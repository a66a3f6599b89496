/**
 * Which leaves of a SOPS file are encrypted. A file carries at most one rule in its
 * metadata; without one, keys ending in `_unencrypted` stay plaintext. Rules look at every
 * key on the path from the document root (a rule that matches a parent covers its whole
 * subtree). The regular expressions are Go RE2 searches (unanchored); JavaScript's engine
 * reads the patterns people write for them (anchors, classes, alternation) the same way.
 *
 * The comment rules look at the comments seen before the value, in its own mapping or list
 * and in the enclosing ones; with `encrypted_comment_regex`, the matching comment line
 * itself stays readable.
 */

export const RULE_FIELDS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

export type CryptRule = { field: RuleField; value: string } | null;

export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

export class CryptRules {
  private readonly re: RegExp | null;

  constructor(readonly rule: CryptRule) {
    this.re = rule && rule.field.endsWith('_regex') ? compileGoRegex(rule.value) : null;
  }

  shouldEncrypt(path: readonly string[], comments: readonly (readonly string[])[], isComment: boolean): boolean {
    const r = this.rule;
    if (!r) return true;
    switch (r.field) {
      case 'unencrypted_suffix':
        return !path.some((k) => k.endsWith(r.value));
      case 'encrypted_suffix':
        return path.some((k) => k.endsWith(r.value));
      case 'unencrypted_regex':
        return !path.some((k) => this.re!.test(k));
      case 'encrypted_regex':
        return path.some((k) => this.re!.test(k));
      case 'unencrypted_comment_regex':
        return !comments.some((level) => level.some((c) => this.re!.test(c)));
      case 'encrypted_comment_regex': {
        const last = comments.length - 1;
        return comments.some((level, i) => level.some((c, j) => !(isComment && i === last && j === level.length - 1) && this.re!.test(c)));
      }
    }
  }

  /** A comment rule that matches an encrypted comment would make the file unreadable. */
  matchesEncryptedComment(text: string): boolean {
    return this.rule?.field === 'unencrypted_comment_regex' && this.re!.test(text);
  }
}

/** Go RE2 syntax as JavaScript: `(?i)` style leading flags become RegExp flags. */
export function compileGoRegex(source: string): RegExp {
  let flags = '';
  let body = source;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    if (m[1]!.includes('i')) flags += 'i';
    if (m[1]!.includes('m')) flags += 'm';
    if (m[1]!.includes('s')) flags += 's';
  }
  try {
    return new RegExp(body, flags);
  } catch {
    throw new Error(`not a regular expression hako can use: ${JSON.stringify(source.slice(0, 60))}`);
  }
}
