/**
 * Merge-conflict markers left by git (`<<<<<<<`, `=======`, `>>>>>>>`, and `|||||||` with
 * diff3) in a file hako reads: said as what they are, with how to resolve them, instead of
 * the JSON error they would otherwise cause. The markers' own lines hold branch names only;
 * nothing of the file's content is shown.
 */
import { HakoError } from '../errors.js';

const START = /^<<<<<<<(?: |$)/m;
const END = /^>>>>>>>(?: |$)/m;

export function assertNoConflictMarkers(text: string, what: string): void {
  const start = START.exec(text);
  if (!start && !END.test(text)) return;
  const at = start ?? END.exec(text)!;
  const line = text.slice(0, at.index).split('\n').length;
  throw new HakoError(
    'E_FORMAT',
    `${what} has unresolved merge conflict markers (from git merge), the first at line ${line}`,
    `each side changed it: keep both sides' lines (one secret per line), delete the marker lines, check with hako ls, ` +
      `then git add ${what}; or take one side (git checkout --ours ${what} or --theirs) and set the other side's values again with hako set`,
  );
}
