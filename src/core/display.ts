/**
 * Text from a file or the command line shown inside a message (a name, a field, a path
 * segment): clipped, and with control, line-break and bidirectional-override characters
 * written as \uXXXX. A hostile file can then neither forge extra `hako:` lines nor send
 * escape sequences to the terminal through an error message.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function displayText(s: string, max = 40): string {
  let clipped = s.length > max ? s.slice(0, max) : s;
  if (/[\ud800-\udbff]$/.test(clipped)) clipped = clipped.slice(0, -1); // never split a surrogate pair
  if (clipped.length < s.length) clipped += '…';
  return clipped.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
