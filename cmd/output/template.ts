import { ScrydonError } from '../../src/errors.js';
import { table } from './render.js';

/**
 * `--format` as docker and skopeo take it: `table` (the command's own table), `json` (one JSON object per line),
 * `table TEMPLATE` (a header, then columns split at tabs) or a plain TEMPLATE per row. A template is text with
 * `{{.Field}}` (and `{{json .}}` for the whole row); `\t` and `\n` are a tab and a newline, as in docker.
 */
type Format =
  | { kind: 'table' }
  | { kind: 'json' }
  | { kind: 'template'; header: boolean; parts: ReadonlyArray<string | { field: string }> };

export function parseFormat(format: string, fields: readonly string[]): Format {
  const f = format.trim();
  if (f === 'table') return { kind: 'table' };
  if (f === 'json') return { kind: 'json' };
  const header = f.startsWith('table ');
  const text = (header ? f.slice('table '.length) : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const parts: Array<string | { field: string }> = [];
  let at = 0;
  for (const m of text.matchAll(/\{\{\s*(.*?)\s*\}\}/g)) {
    parts.push(text.slice(at, m.index));
    at = m.index + m[0].length;
    const action = m[1] as string;
    if (action === 'json .') {
      parts.push({ field: '' });
      continue;
    }
    const name = /^\.([A-Za-z]+)$/.exec(action)?.[1];
    if (name === undefined || !fields.includes(name))
      throw new ScrydonError('usage', `--format: unknown field ${name === undefined ? `{{${action}}}` : `.${name}`}`, {
        hint: `fields: ${fields.map((x) => `{{.${x}}}`).join(' ')}, or {{json .}}; or --format table / json`,
      });
    parts.push({ field: name });
  }
  parts.push(text.slice(at));
  return { kind: 'template', header, parts };
}

/** The rows through a template (`field('', row)` is the row as JSON); with a header, laid out as a table at tabs. */
export function renderTemplate<R>(
  f: Extract<Format, { kind: 'template' }>,
  rows: readonly R[],
  field: (name: string, row: R) => string,
): string {
  const line = (row: R): string =>
    f.parts
      .map((p) => (typeof p === 'string' ? p : p.field === '' ? JSON.stringify(row) : field(p.field, row)))
      .join('');
  if (!f.header) return rows.map(line).join('\n');
  const head = f.parts.map((p) => (typeof p === 'string' ? p : headerOf(p.field))).join('');
  return table(
    head.split('\t'),
    rows.map((r) => line(r).split('\t')),
  );
}

/** `{{.ArtifactType}}` → ARTIFACT TYPE. */
function headerOf(field: string): string {
  return field === '' ? 'JSON' : field.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}
