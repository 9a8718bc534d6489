import type { CommandResult } from '../define-command.js';
import type { GlobalArgs } from '../context.js';

/** The one renderer: JSON under --json, nothing under --quiet, the command's text otherwise. */
export function render(result: CommandResult, g: GlobalArgs, out: NodeJS.WritableStream = process.stdout): void {
  if (g.json) {
    out.write(JSON.stringify(result.data, null, 2) + '\n');
    return;
  }
  if (g.quiet) {
    if (result.quietText) out.write(result.quietText + '\n');
    return;
  }
  if (result.text !== undefined && result.text !== '')
    out.write(result.text.endsWith('\n') ? result.text : result.text + '\n');
}

/** A fixed-width table; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  // plain loops: `ls` of 10,000 tags lays out 60,000 cells
  const widths = headers.map((h) => h.length);
  for (const r of rows)
    for (let i = 0; i < widths.length; i++) {
      const n = (r[i] ?? '').length;
      if (n > (widths[i] as number)) widths[i] = n;
    }
  const line = (cells: readonly string[]): string => {
    let s = '';
    const last = cells.length - 1;
    for (let i = 0; i < last; i++) s += (cells[i] as string).padEnd(widths[i] ?? 0) + '  ';
    return last >= 0 ? (s + (cells[last] as string)).trimEnd() : '';
  };
  let out = line(headers);
  for (const r of rows) out += '\n' + line(r);
  return out;
}

export function shortDigest(d: string): string {
  return d.startsWith('sha256:') ? d.slice(7, 19) : d;
}
