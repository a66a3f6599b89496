/**
 * What a GitHub Actions runner reads from a step: workflow commands on its output
 * (`::add-mask::DATA`) and the environment files ($GITHUB_ENV, $GITHUB_OUTPUT).
 *
 * Command data is escaped the way the runner unescapes it: `%` as %25, CR as %0D, LF as %0A
 * (in that order), so a value can neither end the command line nor smuggle in another one.
 *
 * Environment files use the multi-line form `NAME<<DELIMITER`, the value, then the delimiter
 * alone on a line. The runner ends the value at the first line equal to the delimiter, so the
 * delimiter is random (128 bits) and never occurs anywhere in the value: a value holding a
 * delimiter-like line, `NAME=…` lines or `NAME<<EOF` lines stays one value.
 */
import { randomUUID } from 'node:crypto';

export function commandData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function addMaskCommand(s: string): string {
  return `::add-mask::${commandData(s)}\n`;
}

export function randomDelimiter(): string {
  return `ghadelimiter_${randomUUID()}`;
}

/** One `NAME<<D … D` entry; `next` makes delimiters (a new one while the value contains it). */
export function environmentFileEntry(name: string, value: string, next: () => string = randomDelimiter): string {
  let delimiter = next();
  for (let tries = 0; value.includes(delimiter); tries++) {
    if (tries > 16) throw new Error('no delimiter found that the value does not contain');
    delimiter = next();
  }
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}
