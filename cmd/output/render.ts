import { once } from 'node:events';
import { nestedJson } from '../../src/json-text.js';
import type { CommandResult } from '../define-command.js';
import type { GlobalArgs } from '../context.js';

/** The one renderer: JSON under --json, nothing under --quiet, the command's text otherwise. */
export async function render(
  result: CommandResult,
  g: GlobalArgs,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
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
 * `JSON.stringify(data, null, 2)` and a newline, byte for byte; an array is written element by element in pieces of
 * about 64 KiB, waiting for a slow reader of a pipe ('drain'), so `ls --json` of 10,000 tags never holds its 3 MB of
 * text at once. An element that cannot be written (a BigInt, a cycle: nothing a command returns) fails the write
 * after the pieces before it; the whole text used to fail before any output.
 */
export async function writeJson(data: unknown, out: NodeJS.WritableStream): Promise<void> {
  if (!Array.isArray(data) || data.length === 0 || hasToJson(data)) {
    out.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  let piece = '[';
  for (let i = 0; i < data.length; i++) {
    // as JSON.stringify does for an array: toJSON is called with the element's index, and what JSON cannot hold
    // (undefined, a function) is null
    const v: unknown = data[i];
    const text = nestedJson(hasToJson(v) ? v.toJSON(String(i)) : v, '  ') ?? 'null';
    piece += (i === 0 ? '\n  ' : ',\n  ') + text;
    if (piece.length >= JSON_PIECE) {
      if (!out.write(piece)) await once(out, 'drain');
      piece = '';
    }
  }
  out.write(piece + '\n]\n');
}

function hasToJson(v: unknown): v is { toJSON: (key: string) => unknown } {
  return typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function';
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
