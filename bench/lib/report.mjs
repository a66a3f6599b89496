/**
 * Rows and how they print. A row shows hako's figure beside a peer's measured in the same
 * run, their ratio, and a check of one figure (usually the ratio) against the product's
 * target.
 */

/** Seconds → a short figure in milliseconds. */
export function ms(seconds) {
  const v = seconds * 1000;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`;
}

export function num(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * `ratio`: a number shown as "N×" (what it divides is said in `what`).
 * `check`: { value, op: '≤' | '≥', target, unit } — pass when value op target; null = info only.
 */
export function row({ id, what, hako, peer = null, ratio = null, check = null, note, raw }) {
  let pass = null;
  if (check) pass = check.op === '≤' ? check.value <= check.target : check.value >= check.target;
  return { id, what, hako, peer, ratio, check, pass, ...(note ? { note } : {}), ...(raw ? { raw } : {}) };
}

function fmtCheck(c) {
  if (!c) return '—';
  return `${c.op} ${c.target}${c.unit === '×' ? '×' : ` ${c.unit}`}`;
}

/** A plain-text table, aligned, that reads the same in a terminal and in Markdown. */
export function formatTable(rows) {
  const head = ['#', 'measured', 'hako', 'peer', 'ratio', 'target', 'result'];
  const lines = rows.map((r) => [
    r.id,
    r.what,
    r.hako,
    r.peer ?? '—',
    r.ratio === null ? '—' : `${num(r.ratio)}×`,
    fmtCheck(r.check),
    r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}
