import type { CommandResult } from '../define-command.js';
import type { GlobalArgs } from '../context.js';

/** The one renderer: JSON under --json, nothing under --quiet, the command's text otherwise. */
export function render(result: CommandResult, g: GlobalArgs, out: NodeJS.WritableStream = process.stdout): void {
  if (g.json) {
    out.write(JSON.stringify(result.data, null, 2) + '\n');
    return;
  }
  if (g.quiet) return;
  if (result.text !== undefined && result.text !== '')
    out.write(result.text.endsWith('\n') ? result.text : result.text + '\n');
}

/** A fixed-width table; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function shortDigest(d: string): string {
  return d.startsWith('sha256:') ? d.slice(7, 19) : d;
}
