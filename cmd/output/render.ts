import type { CommandResult } from '../define-command.js';
import type { GlobalArgs } from '../context.js';

/** The one renderer: JSON under --json, nothing under --quiet, the command's text otherwise. */
export function render(result: CommandResult, g: GlobalArgs, out: NodeJS.WritableStream = process.stdout): void {
  if (g.json) return writeJson(result.data, out);
  if (g.quiet) {
    if (result.quietText) out.write(result.quietText + '\n');
    return;
  }
  if (result.text !== undefined && result.text !== '')
    out.write(result.text.endsWith('\n') ? result.text : result.text + '\n');
}

/** What a --json write gathers before it writes. */
const JSON_PIECE = 64 * 1024;

/**
 * `JSON.stringify(data, null, 2)` and a newline, byte for byte; an array is written element by element in pieces
 * of about 64 KiB, so `ls --json` of 10,000 tags never holds its 3 MB of text at once (stdout to a file or pipe
 * is written synchronously on Linux, so the pieces do not queue either).
 */
export function writeJson(data: unknown, out: NodeJS.WritableStream): void {
  if (!Array.isArray(data) || data.length === 0) {
    out.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  let piece = '[';
  for (let i = 0; i < data.length; i++) {
    // an element JSON cannot hold (undefined, a function) is null in an array; strings escape their newlines,
    // so every newline of an element's text is its layout's, indented one more level inside the array
    const text = JSON.stringify(data[i], null, 2) ?? 'null';
    piece += (i === 0 ? '\n  ' : ',\n  ') + text.replaceAll('\n', '\n  ');
    if (piece.length >= JSON_PIECE) {
      out.write(piece);
      piece = '';
    }
  }
  out.write(piece + '\n]\n');
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
