/**
 * A line diff of two texts (pure): Myers' O((N+M)·D) shortest edit script after the common head and tail are
 * trimmed, shown as unified-diff hunks with a few lines of context. Texts too long, or too different, to compare
 * within the bounds below are reported as such (`tooLarge`) instead of being compared slowly.
 */
interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

interface Hunk {
  /** 1-based first line of the hunk in the old and the new text. */
  fromLine: number;
  toLine: number;
  lines: DiffLine[];
}

interface LineDiff {
  added: number;
  removed: number;
  hunks: Hunk[];
  /** Not compared: more lines than MAX_LINES, or more than MAX_EDITS lines differ. */
  tooLarge: boolean;
}

const MAX_LINES = 50_000;
const MAX_EDITS = 2_000;
const CONTEXT = 3;

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script from `a` to `b` ('=' keep, '-' drop from a, '+' take from b), or undefined past `maxD` edits. */
function editScript(a: readonly string[], b: readonly string[], maxD: number): string[] | undefined {
  const n = a.length;
  const m = b.length;
  const off = n + m + 1;
  const v = new Int32Array(2 * off + 1);
  // trace[d]: v after step d, for k in -d..d (stored at k + d)
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, maxD); d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[off + k - 1] as number) < (v[off + k + 1] as number))
          ? (v[off + k + 1] as number)
          : (v[off + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
    }
    trace.push(v.slice(off - d, off + d + 1));
    const end = trace[d] as Int32Array;
    if ((end[n - m + d] ?? -1) >= n && n - m >= -d && n - m <= d) return backtrack(trace, n, m);
  }
  return undefined;
}

function backtrack(trace: readonly Int32Array[], n: number, m: number): string[] {
  const out: string[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1] as Int32Array;
    const at = (k: number) => prev[k + d - 1] as number;
    const k = x - y;
    const pk = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    while (x > px && y > py) {
      out.push('=');
      x--;
      y--;
    }
    out.push(x === px ? '+' : '-');
    x = px;
    y = py;
  }
  while (x > 0 && y > 0) {
    out.push('=');
    x--;
    y--;
  }
  return out.reverse();
}

export function lineDiff(before: string, after: string): LineDiff {
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.length + b.length > MAX_LINES) return { added: 0, removed: 0, hunks: [], tooLarge: true };
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const mid = editScript(a.slice(head, a.length - tail), b.slice(head, b.length - tail), MAX_EDITS);
  if (!mid) return { added: 0, removed: 0, hunks: [], tooLarge: true };
  const script = [...Array<string>(head).fill('='), ...mid, ...Array<string>(tail).fill('=')];
  return hunksOf(script, a, b);
}

/** Groups an edit script into hunks, each change with up to CONTEXT unchanged lines around it. */
function hunksOf(script: readonly string[], a: readonly string[], b: readonly string[]): LineDiff {
  const rows: Array<DiffLine & { ai: number; bi: number }> = [];
  let ai = 0;
  let bi = 0;
  for (const op of script) {
    if (op === '=') rows.push({ op: ' ', text: a[ai] as string, ai: ai++, bi: bi++ });
    else if (op === '-') rows.push({ op: '-', text: a[ai] as string, ai: ai++, bi });
    else rows.push({ op: '+', text: b[bi] as string, ai, bi: bi++ });
  }
  const out: LineDiff = { added: 0, removed: 0, hunks: [], tooLarge: false };
  let current: Hunk | undefined;
  let lastChange = -1;
  const trailing = (h: Hunk, last: number) => {
    for (let j = last + 1; j < Math.min(rows.length, last + 1 + CONTEXT); j++) h.lines.push(pick(rows[j] as DiffLine));
  };
  rows.forEach((r, i) => {
    if (r.op === ' ') return;
    if (r.op === '+') out.added++;
    else out.removed++;
    if (!current || i - lastChange - 1 > 2 * CONTEXT) {
      if (current) trailing(current, lastChange);
      const from = Math.max(0, i - CONTEXT);
      const first = rows[from] as (typeof rows)[number];
      current = { fromLine: first.ai + 1, toLine: first.bi + 1, lines: [] };
      out.hunks.push(current);
      for (let j = from; j < i; j++) current.lines.push(pick(rows[j] as DiffLine));
    } else {
      for (let j = lastChange + 1; j < i; j++) current.lines.push(pick(rows[j] as DiffLine));
    }
    current.lines.push(pick(r));
    lastChange = i;
  });
  if (current) trailing(current, lastChange);
  return out;
}

function pick(r: DiffLine): DiffLine {
  return { op: r.op, text: r.text };
}
