/**
 * Text from a file or the command line shown inside a message.
 *
 * A name (a secret, an environment, a field, a key of an import file) is shown only when it
 * looks like one: letters, digits, `_`, `.`, `-` - a typo worth showing. Anything else in a
 * name's place is often a pasted value (`{"postgres://u:pw@db": …}`, `password=hunter2`), or
 * a hostile file's attempt to forge `hako:` lines or send escape sequences to the terminal,
 * so it is described by its length, never shown. After `=` nothing is shown.
 *
 * Other text (a recipient line, already checked to be printable) is clipped, with control,
 * line-break and bidi-override characters written as \uXXXX.
 */
const NAME_LIKE = /^[A-Za-z0-9_.-]{0,64}$/;
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function displayName(s: string, opts: { quote?: boolean } = {}): string {
  const eq = s.indexOf('=');
  const head = eq >= 0 ? s.slice(0, eq) : s;
  if (!NAME_LIKE.test(head)) return `<${head.length} characters that cannot be a name${eq >= 0 ? ', then =…' : ''}>`;
  const shown = eq >= 0 ? `${head}=…` : head;
  return opts.quote === false ? shown : `"${shown}"`;
}

export function displayText(s: string, max = 40): string {
  let clipped = s.length > max ? s.slice(0, max) : s;
  if (/[\ud800-\udbff]$/.test(clipped)) clipped = clipped.slice(0, -1); // never split a surrogate pair
  if (clipped.length < s.length) clipped += '…';
  return clipped.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
