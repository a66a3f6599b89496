/**
 * `.hako/recipients.md`: who can open which environment with their own age identity, as a
 * Markdown table a reviewer reads in the diff. Parse and encode only.
 *
 * Access itself lives in `.hako/secrets.json` (`recipients`); this file adds what a person
 * needs to review it: a name, a role and the date a recipient was first added. The
 * Environments column is always derived from secrets.json. The encoding is deterministic:
 * rows sorted by recipient, no column padding, so adding a recipient is one new row and
 * giving someone another environment changes one cell of one row. Name and Role cells may be
 * edited by hand; `|` and `\` in them are escaped with a backslash.
 */
import { HakoError } from '../errors.js';

export const RECIPIENTS_DOC_NAME = '.hako/recipients.md';

export interface RecipientMeta {
  name: string;
  role: string;
  /** YYYY-MM-DD when first added, or '' when unknown (an entry added by hand). */
  added: string;
}

export interface RecipientRow extends RecipientMeta {
  recipient: string;
  environments: string[];
}

const HEADER = '| Recipient | Name | Role | Environments | Added |';
const RULE = '| --- | --- | --- | --- | --- |';
const INTRO = [
  '# Recipients',
  '',
  "Who can open which environment of this repository's `.hako/secrets.json` with their own age",
  'identity. Kept in step by `hako recipients add` and `hako recipients rm`: review changes to it',
  'like code. Only the Name and Role cells may be edited by hand.',
  '',
];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/**
 * What no Name or Role cell may hold: control characters (terminal escapes when listed),
 * line separators and bidi overrides (a row that reads differently in review).
 */
export const UNSAFE_CELL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function escapeCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

function row(cellTexts: string[]): string {
  return `|${cellTexts.map((c) => (c === '' ? ' ' : ` ${c} `)).join('|')}|`;
}

export function encodeRecipientsDoc(rows: readonly RecipientRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
  const lines = sorted.map((r) =>
    row([`\`${r.recipient}\``, escapeCell(r.name), escapeCell(r.role), [...r.environments].sort().join(', '), r.added]),
  );
  return [...INTRO, HEADER, RULE, ...lines, ''].join('\n');
}

/** Cells of one table line, unescaped; null when the line is not a table row. */
function cells(line: string): string[] | null {
  if (!line.startsWith('|') || !line.endsWith('|') || line.length < 2) return null;
  const out: string[] = [];
  let cur = '';
  for (let i = 1; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length && (line[i + 1] === '|' || line[i + 1] === '\\')) {
      cur += line[i + 1];
      i++;
    } else if (c === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  return out;
}

/** Recipient → metadata. Lines outside the table are the fixed intro and are not kept. */
export function parseRecipientsDoc(text: string, where = RECIPIENTS_DOC_NAME): Map<string, RecipientMeta> {
  const bad = (line: number, msg: string): never => {
    throw new HakoError(
      'E_FORMAT',
      `${where}: line ${line}: ${msg}`,
      `restore it from git (git checkout -- ${RECIPIENTS_DOC_NAME}); only Name and Role cells may be edited by hand`,
    );
  };
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const start = lines.indexOf(HEADER);
  if (start < 0) return bad(1, 'the recipients table header is missing');
  if (lines[start + 1] !== RULE) return bad(start + 2, 'the table header rule is missing');
  const out = new Map<string, RecipientMeta>();
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const c = cells(line);
    if (!c || c.length !== 5) return bad(i + 1, 'not a table row of 5 cells');
    const [rec, name, role, , added] = c as [string, string, string, string, string];
    const m = /^`([^`]+)`$/.exec(rec);
    if (!m) return bad(i + 1, 'the recipient must be in backquotes');
    if (added !== '' && !DATE.test(added)) return bad(i + 1, 'Added must be a date YYYY-MM-DD');
    if (UNSAFE_CELL.test(name) || UNSAFE_CELL.test(role)) return bad(i + 1, 'a Name or Role cell holds a control or bidi character');
    if (out.has(m[1]!)) return bad(i + 1, 'a recipient listed twice');
    out.set(m[1]!, { name, role, added });
  }
  return out;
}
