/**
 * Splits a command line into words the way a POSIX shell would, without running a shell:
 * blanks separate words, '…' is literal, "…" honours \" \\ \$ \` and a backslash escapes the
 * next character outside quotes. No expansion, no pipes. This is how sops runs
 * SOPS_AGE_KEY_CMD (shlex), so a command that works for sops works for hako.
 */
import { HakoError } from '../errors.js';

export function splitShellWords(line: string, what: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const unterminated = (): never => {
    throw new HakoError('E_USAGE', `${what}: unterminated quote or trailing backslash`, 'quote the command like a shell would');
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) unterminated();
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      word = word ?? '';
      i++;
      while (true) {
        if (i >= line.length) unterminated();
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) unterminated();
      word = (word ?? '') + line[i + 1];
      i += 2;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
