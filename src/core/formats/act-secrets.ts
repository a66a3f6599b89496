/**
 * The secret file of `act` (`act --secret-file FILE`), which reads it with Go's godotenv
 * (joho/godotenv 1.5): `NAME="value"` lines. How godotenv reads a double-quoted value decides
 * the escaping here:
 * - the value ends at the first `"` not preceded by a backslash;
 * - `\n` and `\r` become LF and CR, then a backslash before any character but `$` is dropped
 *   (so `\\` is a backslash and `\"` a quote);
 * - then `$NAME` / `${NAME}` are replaced by variables (`\$` stays a literal `$`);
 * - the whole file first has every CRLF turned into LF and every `---` + LF into LF, so no raw
 *   line break may stand inside a value.
 * So: `\` → `\\`, `"` → `\"`, LF → `\n`, CR → `\r`, `$` → `\$`. That holds for every value
 * except one ending in `"` or `\` (godotenv trims trailing quotes, and `\\"` does not end the
 * value). Those are written single-quoted when they end in `"` and hold no `'` or line break
 * (taken as they are), else unquoted when they are one line without leading spaces, a leading
 * quote or a ` #` (read to the end of the line; only `\$` is unescaped). Any other value is
 * refused with its name.
 */
import { HakoError } from '../errors.js';

export function encodeActSecretFile(values: ReadonlyMap<string, string>): string {
  let out = '';
  for (const [name, value] of values) out += `${name}=${actValue(name, value)}\n`;
  return out;
}

function actValue(name: string, value: string): string {
  if (!/["\\]$/.test(value)) {
    return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\$/g, '\\$')}"`;
  }
  if (value.endsWith('"') && !/['\r\n]/.test(value)) return `'${value}'`;
  if (!/[\r\n]/.test(value) && !/^[\s'"]/u.test(value) && !/[\t\v\f \u0085\u00a0]#/.test(value)) return value.replace(/\$/g, '\\$');
  throw new HakoError(
    'E_INVALID_VALUE',
    `the value of ${name} cannot be written in act's secret file format (it ends in " or \\ and also holds a line break, a ' or a leading quote or space)`,
    `leave it out with --only, or give it to act from the environment: hako run --mirror -- act -s ${name}`,
  );
}
